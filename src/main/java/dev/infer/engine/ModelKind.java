package dev.infer.engine;

/** What a model folder can do. */
public enum ModelKind {
    /** A causal language model: text generation. */
    DECODER,
    /** A BERT-like encoder: sentence embeddings. */
    ENCODER
}
