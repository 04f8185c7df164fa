package dev.infer.engine;

/**
 * How to load a model.
 *
 * @param name the name to serve it under; null for the folder's name
 * @param threads ONNX Runtime intra-op threads; 0 lets ONNX Runtime choose
 * @param maxBatchSize the most sequences decoded together in one step; 1 turns batching off
 */
public record ModelOptions(String name, int threads, int maxBatchSize) {
    public static ModelOptions defaults() {
        return new ModelOptions(null, 0, 1);
    }

    /** The defaults, served under {@code name}. */
    public static ModelOptions named(String name) {
        return new ModelOptions(name, 0, 1);
    }
}
