package dev.infer.protocol;

/** {@code POST /model_details} answer. */
public record ModelDetails(int contextLength) {}
