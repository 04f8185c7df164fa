package dev.infer.protocol;

/** One chat turn, as the worker accepts it in {@code messages} instead of {@code prompt}. */
public record ChatMessage(String role, String content) {}
