package dev.infer.protocol;

/**
 * {@code POST /worker_shutdown} on a worker (extension): stop taking work, drain for up to
 * {@code timeout} seconds (none with {@code force}), deregister and exit.
 */
public record ShutdownRequest(Boolean force, Double timeout) {}
