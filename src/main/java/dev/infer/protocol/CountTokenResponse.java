package dev.infer.protocol;

/** {@code POST /count_token} answer. */
public record CountTokenResponse(int count, int errorCode) {}
