package dev.infer.protocol;

/** {@code POST /count_token}. */
public record CountTokenRequest(String prompt) {}
