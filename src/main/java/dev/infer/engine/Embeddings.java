package dev.infer.engine;

import java.util.List;

/** Sentence embeddings, one L2-normalised vector per input, and the tokens they took in all. */
public record Embeddings(List<float[]> vectors, int tokenCount) {}
