package dev.infer.worker;

import dev.infer.client.ClientException;
import dev.infer.client.ControllerClient;
import dev.infer.protocol.KillRequest;
import dev.infer.protocol.WorkerStatus;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a worker known to its controller: registers at start, retrying with a growing pause while
 * the controller is down (a worker started before its controller simply waits for it), heart-beats
 * every interval, and registers again when a heartbeat answers {@code exist: false} (the controller
 * restarted or dropped us). Runs on one scheduler thread; {@link #close()} stops it and
 * {@link #deregister()} then asks the controller to drop us at once (FastChat has no deregister
 * call; with a FastChat controller a silent worker simply expires).
 */
final class Registrar implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Registrar.class);
    private static final Duration FIRST_RETRY = Duration.ofMillis(250);

    private final ControllerClient controller;
    private final String workerName;
    private final Supplier<WorkerStatus> status;
    private final Duration heartbeatInterval;
    private final Duration retryMax;
    private final ScheduledExecutorService scheduler;
    private Duration retry = FIRST_RETRY;
    private boolean warned;
    private volatile boolean registered;

    Registrar(ControllerClient controller, String workerName, Supplier<WorkerStatus> status,
            Duration heartbeatInterval, Duration retryMax) {
        this.controller = controller;
        this.workerName = workerName;
        this.status = status;
        this.heartbeatInterval = heartbeatInterval;
        this.retryMax = retryMax;
        this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "worker-registrar");
            t.setDaemon(true);
            return t;
        });
    }

    /** Starts registering in the background; returns at once. */
    void start() {
        scheduler.execute(this::register);
    }

    private void register() {
        // Set before the call: the controller may record us and the answer still be in flight
        // when a shutdown asks whether there is anything to deregister.
        registered = true;
        try {
            controller.register(workerName, status.get());
            log.info("registered {} with controller {}", workerName, controller.baseUrl());
            retry = FIRST_RETRY;
            warned = false;
            schedule(this::heartbeat, heartbeatInterval);
        } catch (ClientException e) {
            if (!warned) {
                log.warn("cannot register with controller {}: {}; retrying until it answers",
                        controller.baseUrl(), e.getMessage());
                warned = true;
            } else {
                log.debug("register attempt failed: {}", e.getMessage());
            }
            schedule(this::register, retry);
            retry = min(retry.multipliedBy(2), retryMax);
        }
    }

    private void heartbeat() {
        boolean exist;
        try {
            exist = controller.heartbeat(workerName, status.get().queueLength());
        } catch (ClientException e) {
            // The controller may be restarting: keep beating; a new controller answers exist:false.
            if (!warned) {
                log.warn("heartbeat to controller {} failed: {}; will keep trying",
                        controller.baseUrl(), e.getMessage());
                warned = true;
            }
            schedule(this::heartbeat, heartbeatInterval);
            return;
        }
        if (exist) {
            if (warned) {
                log.info("controller {} answers heartbeats again", controller.baseUrl());
                warned = false;
            }
            schedule(this::heartbeat, heartbeatInterval);
        } else {
            log.info(
                    "controller {} does not know {}; registering again",
                    controller.baseUrl(),
                    workerName);
            warned = false;
            register();
        }
    }

    private void schedule(Runnable task, Duration delay) {
        if (!scheduler.isShutdown()) {
            try {
                scheduler.schedule(task, delay.toNanos(), TimeUnit.NANOSECONDS);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                // Closed between the check and the call: nothing more to do.
            }
        }
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    /**
     * Asks the controller to forget this worker, through the {@code infer} extension
     * {@code /kill_worker}, so that it stops dispatching here at once rather than when the
     * heartbeats expire. Best effort: a controller that already dropped us (or a FastChat one,
     * which has no such endpoint) is fine. Needed even after {@code infer kill}: a heartbeat sent
     * just as the controller removed us is answered {@code exist: false}, and we register again.
     * Call after {@link #close()}.
     */
    void deregister() {
        if (!registered) {
            return;
        }
        try {
            controller.kill(new KillRequest(workerName, null, null, true, 0.0));
            log.info("deregistered {} from controller {}", workerName, controller.baseUrl());
        } catch (ClientException e) {
            log.debug("deregister: {}", e.getMessage());
        }
    }

    /** Stops registering and heart-beating; waits briefly for a call in flight. */
    @Override
    public void close() {
        scheduler.shutdownNow();
        try {
            scheduler.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
