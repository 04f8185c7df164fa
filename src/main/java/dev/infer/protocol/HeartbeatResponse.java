package dev.infer.protocol;

/** Answer to a heartbeat; {@code exist: false} tells the worker to register again. */
public record HeartbeatResponse(boolean exist) {}
