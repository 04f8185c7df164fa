package dev.infer.protocol;

/**
 * {@code POST /kill_worker} on the controller (extension): exactly one of {@code worker_name},
 * {@code model} or {@code all} chooses the workers. The controller removes them from the registry
 * at once and forwards a {@link ShutdownRequest} to each.
 *
 * @param timeout seconds a worker may spend draining in-flight requests; null for its default
 */
public record KillRequest(String workerName, String model, Boolean all, Boolean force, Double timeout) {}
