package dev.infer.controller;

import dev.infer.metrics.Metrics;
import dev.infer.protocol.ErrorCode;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;

/** The controller's series on its own {@link Metrics} registry. Thread-safe. */
public final class ControllerMetrics {
    private final Metrics metrics;
    private final Gauge workers;
    private final Gauge models;
    private final Counter dispatches;
    private final Counter heartbeats;
    private final Counter dropped;
    private final Counter errors;

    public ControllerMetrics(Metrics metrics) {
        this.metrics = metrics;
        workers = metrics.gauge("infer_controller_workers", "Registered workers.");
        models = metrics.gauge("infer_controller_models", "Models served by at least one worker.");
        dispatches = metrics.counter("infer_controller_dispatches_total",
                "Requests routed to a worker, by model.", "model");
        heartbeats = metrics.counter("infer_controller_heartbeats_total",
                "Heartbeats received from known workers.");
        dropped = metrics.counter("infer_controller_dropped_workers_total",
                "Workers removed from the registry, by reason.", "reason");
        errors = metrics.counter("infer_controller_errors_total",
                "Requests answered with an error, by FastChat error code.", "code");
    }

    public Metrics metrics() {
        return metrics;
    }

    void registry(int workerCount, int modelCount) {
        workers.set(workerCount);
        models.set(modelCount);
    }

    void dispatched(String model) {
        dispatches.labelValues(model).inc();
    }

    void heartbeat() {
        heartbeats.inc();
    }

    void dropped(String reason, int count) {
        if (count > 0) {
            dropped.labelValues(reason).inc(count);
        }
    }

    void error(ErrorCode code) {
        errors.labelValues(Integer.toString(code.code())).inc();
    }
}
