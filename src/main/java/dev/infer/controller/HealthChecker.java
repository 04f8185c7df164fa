package dev.infer.controller;

import dev.infer.client.ClientException;
import dev.infer.client.WorkerClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The controller's active health check. Heartbeats only say that a worker's heartbeat thread
 * runs; a worker whose HTTP side hangs keeps heart-beating. So every interval the controller asks
 * each worker for {@code POST /worker_get_status} (FastChat workers answer it too) with a short
 * timeout: a worker that does not answer in time, cannot be reached or answers 5xx is marked
 * unhealthy and skipped by dispatch, and the first check it passes again puts it back.
 *
 * <p>{@link #checkAll()} runs one round and is what tests call; the controller schedules it.
 */
final class HealthChecker implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(HealthChecker.class);
    /** Most workers checked at once; a round with hung workers still takes about one timeout. */
    private static final int PARALLEL = 16;

    private final WorkerRegistry registry;
    private final Supplier<WorkerClient> workers;
    private final Duration timeout;
    private final ExecutorService pool;

    HealthChecker(WorkerRegistry registry, Supplier<WorkerClient> workers, Duration timeout) {
        this.registry = registry;
        this.workers = workers;
        this.timeout = timeout;
        this.pool = Executors.newFixedThreadPool(PARALLEL, r -> {
            Thread t = new Thread(r, "controller-health");
            t.setDaemon(true);
            return t;
        });
    }

    /** Checks every registered worker once and waits for the answers (at most about a timeout). */
    void checkAll() {
        List<CompletableFuture<Void>> checks = new ArrayList<>();
        for (String name : registry.names().keySet()) {
            checks.add(CompletableFuture.runAsync(() -> check(name), pool));
        }
        try {
            CompletableFuture.allOf(checks.toArray(CompletableFuture[]::new))
                    .get(timeout.toMillis() * 2 + 1000, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (java.util.concurrent.ExecutionException | TimeoutException e) {
            log.debug("health check round incomplete: {}", e.toString());
        }
    }

    private void check(String name) {
        boolean healthy;
        try {
            workers.get().status(name, timeout);
            healthy = true;
        } catch (ClientException e) {
            // A 4xx (a token mismatch, a FastChat worker without the endpoint) still proves that
            // the worker answers; silence, a refused connection or a 5xx do not.
            healthy = e.kind() == ClientException.Kind.ERROR_RESPONSE && e.status() < 500;
            if (!healthy) {
                log.debug("health check of {} failed: {}", name, e.getMessage());
            }
        } catch (RuntimeException e) {
            healthy = false;
            log.debug("health check of {} failed: {}", name, e.toString());
        }
        registry.markHealth(name, healthy);
    }

    @Override
    public void close() {
        pool.shutdownNow();
    }
}
