package dev.infer.protocol;

/** {@code POST /receive_heart_beat}. */
public record HeartbeatRequest(String workerName, Integer queueLength) {}
