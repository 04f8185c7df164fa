package dev.infer.protocol;

import java.util.List;

/** Embeddings, one L2-normalised vector per input, and the tokens they took. */
public record EmbeddingResponse(List<float[]> embedding, int tokenNum) {}
