package dev.infer.openai;

import dev.infer.metrics.Metrics;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Histogram;

/** What {@code infer api} counts: requests by route and status, time to first token, tokens,
* retries. */
final class ApiMetrics {
    private final Metrics metrics = new Metrics();
    private final Counter requests = metrics.counter("infer_api_requests_total",
            "API requests by route and HTTP status.", "route", "status");
    private final Histogram firstToken = metrics.latency("infer_api_time_to_first_token_seconds",
            "From receiving a generate request to the worker's first chunk, retries included.");
    private final Counter tokens = metrics.counter("infer_api_tokens_total",
            "Tokens reported by workers, by kind (prompt or completion).", "kind");
    private final Counter retries = metrics.counter("infer_api_retries_total",
            "Requests retried on another worker after failing before their first token.");
    private final Counter streamErrors = metrics.counter("infer_api_stream_errors_total",
            "Streams ended with an error event after their first token.");

    Metrics registry() {
        return metrics;
    }

    void request(String route, int status) {
        requests.labelValues(route, Integer.toString(status)).inc();
    }

    void timeToFirstToken(long nanos) {
        firstToken.observe(nanos / 1e9);
    }

    void tokens(int prompt, int completion) {
        tokens.labelValues("prompt").inc(prompt);
        tokens.labelValues("completion").inc(completion);
    }

    void retry() {
        retries.inc();
    }

    void streamError() {
        streamErrors.inc();
    }
}
