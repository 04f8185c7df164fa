package dev.infer.worker;

import dev.infer.engine.GenerationListener;
import dev.infer.metrics.Metrics;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;

/**
 * The worker's metrics: requests by endpoint and outcome, tokens generated, queue length (read
 * from admission at scrape time), time to first token and inter-token latency.
 */
final class WorkerMetrics {
    /** How a request ended, as the {@code outcome} label says it. */
    enum Outcome {
        OK, INVALID, OVERLOADED, CLIENT_GONE, CANCELLED, ERROR;

        String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    private final Metrics metrics;
    private final Counter requests;
    private final Counter tokens;
    private final Histogram timeToFirstToken;
    private final Histogram interTokenLatency;

    WorkerMetrics(Metrics metrics, Admission admission) {
        this.metrics = metrics;
        requests = metrics.counter("infer_worker_requests_total",
                "Requests by endpoint and outcome.", "endpoint", "outcome");
        tokens = metrics.counter("infer_worker_generated_tokens_total", "Tokens generated.");
        timeToFirstToken =
                metrics.latency(
                        "infer_worker_time_to_first_token_seconds",
                        "From a generate request's arrival (queue wait included)"
                                + " to its first text.");
        interTokenLatency = metrics.latency("infer_worker_inter_token_latency_seconds",
                "Time between generated tokens, observed per step of visible text.");
        GaugeWithCallback.builder()
                .name("infer_worker_queue_length")
                .help("Generations running plus waiting for a slot.")
                .callback(cb -> cb.call(admission.queueLength()))
                .register(metrics.registry());
        GaugeWithCallback.builder()
                .name("infer_worker_running")
                .help("Generations running now.")
                .callback(cb -> cb.call(admission.running()))
                .register(metrics.registry());
    }

    Metrics registry() {
        return metrics;
    }

    void request(String endpoint, Outcome outcome) {
        requests.labelValues(endpoint, outcome.label()).inc();
    }

    void tokens(int count) {
        if (count > 0) {
            tokens.inc(count);
        }
    }

    /**
     * A listener timing one generation: the first text observes time to first token from
     * {@code arrivalNanos}, each later step observes the time per token since the previous one.
     * Called on the engine's thread only, so its fields need no locking.
     */
    GenerationListener timer(long arrivalNanos) {
        return new GenerationListener() {
            private long last = arrivalNanos;
            private int lastTokens;

            @Override
            public void onText(String text, String delta, int count) {
                long now = System.nanoTime();
                if (lastTokens == 0) {
                    timeToFirstToken.observe((now - arrivalNanos) / 1e9);
                } else if (count > lastTokens) {
                    interTokenLatency.observe((now - last) / 1e9 / (count - lastTokens));
                }
                last = now;
                lastTokens = count;
            }
        };
    }
}
