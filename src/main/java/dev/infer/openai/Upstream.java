package dev.infer.openai;

import dev.infer.client.ClientException;
import dev.infer.client.GenerateStream;
import dev.infer.client.WorkerClient;
import dev.infer.protocol.ErrorCode;
import dev.infer.protocol.GenerateChunk;
import dev.infer.protocol.GenerateRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opens a worker's generate stream for one choice: picks a worker through the {@link WorkerRouter},
 * waits for its first chunk, and if the worker fails before that (unreachable, 5xx, queue full,
 * stream broken) tries once more on another worker. After the first chunk there is no retry: the
 * client has already seen output, so a failure is reported to it instead. Thread-safe.
 */
final class Upstream {
    private static final Logger log = LoggerFactory.getLogger(Upstream.class);
    private static final int ATTEMPTS = 2;

    private final WorkerRouter router;
    private final WorkerClient workers;
    private final Duration firstTokenTimeout;
    private final Duration idleTimeout;
    private final ApiMetrics metrics;

    Upstream(WorkerRouter router, WorkerClient workers, Duration firstTokenTimeout,
            Duration idleTimeout,
            ApiMetrics metrics) {
        this.router = router;
        this.workers = workers;
        this.firstTokenTimeout = firstTokenTimeout;
        this.idleTimeout = idleTimeout;
        this.metrics = metrics;
    }

    WorkerRouter router() {
        return router;
    }

    /** A worker stream whose first chunk has arrived; the caller closes it. */
    final class Opened implements AutoCloseable {
        private final String model;
        private final String address;
        private final GenerateStream stream;
        private GenerateChunk pending;
        private final java.util.concurrent.atomic.AtomicBoolean closed =
                new java.util.concurrent.atomic.AtomicBoolean();

        private Opened(String model, String address, GenerateStream stream, GenerateChunk first) {
            this.model = model;
            this.address = address;
            this.stream = stream;
            this.pending = first;
        }

        /**
         * The next chunk (the first one on the first call), waiting at most the idle timeout.
         *
         * @return a chunk; the last one has a finish reason
         * @throws ApiException when the worker reports an error, breaks the stream, ends it without
         *     a finish reason, or stays silent past the idle timeout
         */
        GenerateChunk next() {
            GenerateChunk chunk = pending;
            pending = null;
            try {
                if (chunk == null) {
                    chunk = stream.nextLatest(idleTimeout);
                }
            } catch (ClientException e) {
                router.forget(model, address);
                throw failure(List.of(e.kind() == ClientException.Kind.TIMEOUT
                        ? address + " went silent for more than " + idleTimeout.toMillis()
                                + " ms mid-stream"
                        : e.getMessage()), e.kind() == ClientException.Kind.TIMEOUT
                        ? ErrorCode.CONTROLLER_WORKER_TIMEOUT : ErrorCode.INTERNAL, e.status());
            }
            if (chunk == null) {
                throw failure(List.of(address + " ended the stream without a finish reason"),
                        ErrorCode.INTERNAL, 0);
            }
            if (chunk.isError()) {
                ErrorCode code = ErrorCode.of(chunk.errorCode()).orElse(ErrorCode.INTERNAL);
                throw failure(List.of(address + ": " + chunk.text()), code, 0);
            }
            return chunk;
        }

        /** Abandons the worker's stream (if still open) and stops counting it; idempotent. */
        @Override
        public void close() {
            if (closed.compareAndSet(false, true)) {
                stream.close();
                router.released(address);
            }
        }
    }

    /**
     * Starts {@code request} on a worker and waits for its first chunk, retrying once on another
     * worker when the first one fails before sending it.
     *
     * @throws ApiException with the status that says what went wrong (see {@link #failure})
     */
    Opened open(GenerateRequest request) {
        String model = request.model();
        Set<String> failed = new LinkedHashSet<>();
        List<String> reasons = new ArrayList<>();
        long started = System.nanoTime();
        ErrorCode lastCode = null;
        int lastStatus = 0;
        for (int attempt = 1; ; attempt++) {
            String address;
            try {
                address = router.address(model, failed);
            } catch (ApiException none) {
                if (lastCode == null) {
                    throw none;
                }
                reasons.add(none.getMessage());
                throw failure(reasons, lastCode, lastStatus);
            }
            long deadline = System.nanoTime() + firstTokenTimeout.toNanos();
            GenerateStream stream = workers.openChunkStream(address, request);
            router.acquired(address);
            ErrorCode code;
            int status = 0;
            boolean retryable;
            try {
                GenerateChunk first = stream.next(Duration.ofNanos(Math.max(1,
                        deadline - System.nanoTime())));
                if (!first.isError()) {
                    metrics.timeToFirstToken(System.nanoTime() - started);
                    return new Opened(model, address, stream, first);
                }
                code = ErrorCode.of(first.errorCode()).orElse(ErrorCode.INTERNAL);
                reasons.add(address + ": " + first.text());
                retryable = code == ErrorCode.ENGINE_OVERLOADED || code == ErrorCode.INTERNAL
                        || code == ErrorCode.INVALID_MODEL;
            } catch (ClientException e) {
                status = e.status();
                if (e.kind() == ClientException.Kind.TIMEOUT) {
                    stream.close();
                    router.released(address);
                    reasons.add(address + " sent no first token within "
                            + firstTokenTimeout.toMillis() + " ms");
                    throw failure(reasons, ErrorCode.CONTROLLER_WORKER_TIMEOUT, 0);
                }
                code = e.errorCode() != null ? e.errorCode()
                        : status == 429 ? ErrorCode.ENGINE_OVERLOADED : ErrorCode.INTERNAL;
                reasons.add(e.getMessage());
                retryable = e.kind() != ClientException.Kind.ERROR_RESPONSE || status >= 500
                        || status == 429
                        || code == ErrorCode.INVALID_MODEL;
                if (e.kind() == ClientException.Kind.UNREACHABLE) {
                    code = ErrorCode.CONTROLLER_NO_WORKER;
                }
            }
            stream.close();
            router.released(address);
            if (!retryable || attempt >= ATTEMPTS) {
                throw failure(reasons, code, status, request.messages() != null ? "messages"
                        : "prompt");
            }
            failed.add(address);
            router.forget(model, address);
            lastCode = code;
            lastStatus = status;
            metrics.retry();
            log.warn("worker {} failed before the first token for {}; retrying on another: {}",
                    address, model, reasons.get(reasons.size() - 1));
        }
    }

    /** The API error for a worker failure, its message listing what each worker did. */
    static ApiException failure(List<String> reasons, ErrorCode code, int status) {
        return failure(reasons, code, status, null);
    }

    /**
     * As {@link #failure(List, ErrorCode, int)}; {@code input} names the parameter a context
     * overflow is blamed on ({@code messages} or {@code prompt}).
     */
    static ApiException failure(List<String> reasons, ErrorCode code, int status, String input) {
        String why = String.join("; then ", reasons);
        return switch (code) {
            case CONTEXT_OVERFLOW ->
                    new ApiException(400, code, input, "worker refused the request: " + why);
            case VALIDATION, PARAM_OUT_OF_RANGE ->
                    new ApiException(400, code, null, "worker refused the request: " + why);
            case ENGINE_OVERLOADED, RATE_LIMIT ->
                    new ApiException(429, code, null, "worker queue full: " + why);
            case INVALID_MODEL -> new ApiException(404, code, "model",
                    "worker does not serve the model: " + why);
            case CONTROLLER_NO_WORKER -> new ApiException(503, code, null,
                    "no worker could be reached: " + why);
            case CONTROLLER_WORKER_TIMEOUT -> new ApiException(504, code, null,
                    "worker timed out: " + why);
            default -> new ApiException(status >= 500 ? status : 500, ErrorCode.INTERNAL, null,
                    "worker failed: " + why);
        };
    }
}
