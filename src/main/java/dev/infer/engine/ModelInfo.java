package dev.infer.engine;

/**
 * Facts about a loaded model that callers show or check against.
 *
 * @param name the name it is served under (by default the folder's name)
 * @param contextLength the most tokens (prompt plus generated) the model takes
 * @param kvCache whether generation reuses a KV cache (false: the whole sequence is fed each step)
 * @param maxBatchSize the most sequences one forward pass runs together (1: no batching)
 */
public record ModelInfo(
        String name,
        ModelKind kind,
        int contextLength,
        int vocabSize,
        boolean kvCache,
        int maxBatchSize,
        String description) {}
