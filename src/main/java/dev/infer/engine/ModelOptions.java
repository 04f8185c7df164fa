package dev.infer.engine;

/**
 * How to load a model.
 *
 * @param name the name to serve it under; null for the folder's name
 * @param threads ONNX Runtime intra-op threads; 0 lets ONNX Runtime choose
 * @param maxBatchSize the most sequences decoded together in one step; 1 turns batching off
 * @param maxBatchTokens the most prompt tokens (padded to the longest prompt) prefilled together
 *     in one step; a prompt longer than this is still prefilled, alone
 */
public record ModelOptions(String name, int threads, int maxBatchSize, int maxBatchTokens) {
    /** The batch size {@code infer worker} uses unless told otherwise (see bench/batching). */
    public static final int DEFAULT_MAX_BATCH_SIZE = 16;
    public static final int DEFAULT_MAX_BATCH_TOKENS = 512;

    public ModelOptions {
        if (threads < 0) {
            throw new IllegalArgumentException("threads must be >= 0, got " + threads);
        }
        if (maxBatchSize < 1) {
            throw new IllegalArgumentException("max batch size must be >= 1, got " + maxBatchSize);
        }
        if (maxBatchTokens < 1) {
            throw new IllegalArgumentException(
                    "max batch tokens must be >= 1, got " + maxBatchTokens);
        }
    }

    /** Options with the default prefill token budget. */
    public ModelOptions(String name, int threads, int maxBatchSize) {
        this(name, threads, maxBatchSize, DEFAULT_MAX_BATCH_TOKENS);
    }

    /** One sequence per forward pass, ONNX Runtime's thread count. */
    public static ModelOptions defaults() {
        return new ModelOptions(null, 0, 1);
    }

    /** The defaults, served under {@code name}. */
    public static ModelOptions named(String name) {
        return new ModelOptions(name, 0, 1);
    }

    /** These options with another batch size. */
    public ModelOptions withMaxBatchSize(int size) {
        return new ModelOptions(name, threads, size, maxBatchTokens);
    }
}
