package dev.infer.engine;

/**
 * The outcome of a generation.
 *
 * @param text the generated text (with the prompt in front when the request asked for echo)
 * @param timeToFirstTokenNanos from submission to the first generated token
 */
public record GenerationResult(
        String text,
        int promptTokens,
        int completionTokens,
        FinishReason finishReason,
        long timeToFirstTokenNanos,
        long totalNanos) {}
