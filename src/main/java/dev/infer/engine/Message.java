package dev.infer.engine;

/** One chat turn for the model's chat template: role is system, user or assistant. */
public record Message(String role, String content) {}
