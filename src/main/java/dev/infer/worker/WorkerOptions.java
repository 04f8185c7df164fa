package dev.infer.worker;

import java.time.Duration;
import java.util.Objects;

/**
 * How a worker runs: where it listens, how it admits work, how it talks to the controller and how
 * long it drains. Build with {@link #builder()}; every field has the default the command line uses.
 *
 * @param workerAddress the URL the controller and clients reach this worker at; null for the host
 *     and port actually bound
 * @param controllerUrl the controller to register with; ignored when {@code register} is false
 * @param token bearer token required on this worker's endpoints and sent to the controller
 * @param keepAlive how long a stream may stay silent before the worker sends an empty frame (a
 *     lone {@code \0}, which FastChat clients skip); it also notices a client that went away
 * @param frameInterval the least time between two progress frames of one stream: text generated
 *     sooner goes out together in the next frame (the first text and the end are never held);
 *     zero sends a frame per token
 * @param registerRetryMax the longest pause between attempts to register while the controller is
 *     down (the pause starts at a quarter second and doubles)
 */
public record WorkerOptions(
        String host,
        int port,
        String workerAddress,
        String controllerUrl,
        String token,
        int limitConcurrency,
        int maxQueue,
        boolean register,
        Duration heartbeatInterval,
        Duration registerRetryMax,
        Duration drainTimeout,
        Duration keepAlive,
        Duration frameInterval) {

    public static final int DEFAULT_PORT = 21002;
    /** The default {@link #frameInterval}, in milliseconds. */
    public static final int DEFAULT_FRAME_INTERVAL_MS = 1;
    /** The longest {@link #frameInterval} accepted, in milliseconds. */
    public static final int MAX_FRAME_INTERVAL_MS = 1000;
    public static final int DEFAULT_LIMIT_CONCURRENCY = 5;
    public static final int DEFAULT_MAX_QUEUE = 64;

    public WorkerOptions {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(heartbeatInterval, "heartbeatInterval");
        Objects.requireNonNull(registerRetryMax, "registerRetryMax");
        Objects.requireNonNull(drainTimeout, "drainTimeout");
        Objects.requireNonNull(keepAlive, "keepAlive");
        Objects.requireNonNull(frameInterval, "frameInterval");
        if (limitConcurrency < 1) {
            throw new IllegalArgumentException(
                    "limit-concurrency must be >= 1, got " + limitConcurrency);
        }
        if (maxQueue < 0) {
            throw new IllegalArgumentException("max-queue must be >= 0, got " + maxQueue);
        }
        if (heartbeatInterval.isNegative() || heartbeatInterval.isZero()) {
            throw new IllegalArgumentException(
                    "heartbeat-interval must be > 0, got " + heartbeatInterval);
        }
        if (drainTimeout.isNegative()) {
            throw new IllegalArgumentException("drain-timeout must be >= 0, got " + drainTimeout);
        }
        if (frameInterval.isNegative()
                || frameInterval.compareTo(Duration.ofMillis(MAX_FRAME_INTERVAL_MS)) > 0) {
            throw new IllegalArgumentException("frame-interval must be in 0.."
                    + MAX_FRAME_INTERVAL_MS + " ms, got " + frameInterval);
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Fluent construction with the command line's defaults. */
    public static final class Builder {
        private String host = "127.0.0.1";
        private int port = DEFAULT_PORT;
        private String workerAddress;
        private String controllerUrl = "http://127.0.0.1:21001";
        private String token;
        private int limitConcurrency = DEFAULT_LIMIT_CONCURRENCY;
        private int maxQueue = DEFAULT_MAX_QUEUE;
        private boolean register = true;
        private Duration heartbeatInterval = Duration.ofSeconds(45);
        private Duration registerRetryMax = Duration.ofSeconds(10);
        private Duration drainTimeout = Duration.ofSeconds(30);
        private Duration keepAlive = Duration.ofSeconds(1);
        private Duration frameInterval = Duration.ofMillis(DEFAULT_FRAME_INTERVAL_MS);

        private Builder() {}

        public Builder host(String v) {
            host = v;
            return this;
        }

        public Builder port(int v) {
            port = v;
            return this;
        }

        public Builder workerAddress(String v) {
            workerAddress = v;
            return this;
        }

        public Builder controllerUrl(String v) {
            controllerUrl = v;
            return this;
        }

        public Builder token(String v) {
            token = v;
            return this;
        }

        public Builder limitConcurrency(int v) {
            limitConcurrency = v;
            return this;
        }

        public Builder maxQueue(int v) {
            maxQueue = v;
            return this;
        }

        public Builder register(boolean v) {
            register = v;
            return this;
        }

        public Builder heartbeatInterval(Duration v) {
            heartbeatInterval = v;
            return this;
        }

        public Builder registerRetryMax(Duration v) {
            registerRetryMax = v;
            return this;
        }

        public Builder drainTimeout(Duration v) {
            drainTimeout = v;
            return this;
        }

        public Builder keepAlive(Duration v) {
            keepAlive = v;
            return this;
        }

        public Builder frameInterval(Duration v) {
            frameInterval = v;
            return this;
        }

        public WorkerOptions build() {
            return new WorkerOptions(
                    host,
                    port,
                    workerAddress,
                    controllerUrl,
                    token,
                    limitConcurrency,
                    maxQueue,
                    register,
                    heartbeatInterval,
                    registerRetryMax,
                    drainTimeout,
                    keepAlive,
                    frameInterval);
        }
    }
}
