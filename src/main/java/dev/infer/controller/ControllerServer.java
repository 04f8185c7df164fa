package dev.infer.controller;

import dev.infer.client.JsonHttp;
import dev.infer.client.WorkerClient;
import dev.infer.metrics.Metrics;
import dev.infer.server.HttpServer;
import dev.infer.server.Tls;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running controller: the registry, its reaper and the HTTP server. {@code infer controller}
 * starts one, and {@code infer serve} starts one in process beside a worker and the API.
 */
public final class ControllerServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ControllerServer.class);

    private final WorkerRegistry registry;
    private final HttpServer http;
    private final ScheduledExecutorService reaper;
    private final HealthChecker health;

    private ControllerServer(WorkerRegistry registry, HttpServer http,
            ScheduledExecutorService reaper, HealthChecker health) {
        this.registry = registry;
        this.http = http;
        this.reaper = reaper;
        this.health = health;
    }

    /** Default period of the active health check. */
    public static final Duration DEFAULT_HEALTH_CHECK_INTERVAL = Duration.ofSeconds(10);
    /** Default time a worker gets to answer a health check. */
    public static final Duration DEFAULT_HEALTH_CHECK_TIMEOUT = Duration.ofSeconds(2);

    /**
     * Runs one round of the active health check now and waits for it (about one health-check
     * timeout at most); the scheduled rounds go on as before. For tests and operators.
     */
    public void checkHealthNow() {
        health.checkAll();
    }

    /** Settings; defaults are those of {@code infer controller}. */
    public static Config config() {
        return new Config();
    }

    public WorkerRegistry registry() {
        return registry;
    }

    public int port() {
        return http.port();
    }

    /** {@code http://host:port}, what workers and clients are given as {@code --controller}. */
    public String baseUrl() {
        return http.baseUrl();
    }

    /** Stops the reaper and the server. Idempotent enough for a shutdown hook and a finally. */
    @Override
    public void close() {
        reaper.shutdownNow();
        health.close();
        http.close();
    }

    /**
     * Request threads on a JDK without virtual threads. Every endpoint but the stream proxy
     * answers from memory in microseconds, so a few threads per core keep up; more only cost
     * memory (about half a megabyte each).
     */
    // TODO: each proxied stream holds one of these threads for its whole generation, so on
    // Java 17 more than about a dozen concurrent streams through the controller queue up;
    // clients that ask /get_worker_address and then call the worker (as FastChat's API server
    // does) are not affected, and on Java 21 virtual threads lift the limit.
    static final int DEFAULT_THREADS = 16;

    /**
     * Largest request body: worker messages are tiny and a proxied prompt of 4 MB is far beyond
     * any context window, while the launcher gives the controller a 32 MB heap.
     */
    static final long MAX_REQUEST_BYTES = 4L * 1024 * 1024;

    /** What a controller is started with. Not thread-safe; use it once. */
    public static final class Config {
        private String host = "127.0.0.1";
        private int port = 21001;
        private DispatchPolicy policy = new DispatchPolicy.ShortestQueue();
        private Duration heartbeatExpiration = Duration.ofSeconds(90);
        private String token;
        private Clock clock = Clock.systemUTC();
        private RandomGenerator random = new SplittableRandom();
        private Duration workerTimeout = Duration.ofSeconds(60);
        private int maxThreads = Integer.getInteger("infer.controller.threads", DEFAULT_THREADS);
        private Duration healthCheckInterval = DEFAULT_HEALTH_CHECK_INTERVAL;
        private Duration healthCheckTimeout = DEFAULT_HEALTH_CHECK_TIMEOUT;
        private boolean allowLinkLocal;
        private Tls.Server tls;
        private java.net.http.HttpClient httpClient;

        private Config() {}

        public Config host(String host) {
            this.host = Objects.requireNonNull(host);
            return this;
        }

        /** 0 picks a free port. */
        public Config port(int port) {
            this.port = port;
            return this;
        }

        public Config policy(DispatchPolicy policy) {
            this.policy = Objects.requireNonNull(policy);
            return this;
        }

        public Config heartbeatExpiration(Duration expiration) {
            this.heartbeatExpiration = Objects.requireNonNull(expiration);
            return this;
        }

        /** Shared secret every endpoint but {@code /health} requires; null or empty for none. */
        public Config token(String token) {
            this.token = token;
            return this;
        }

        public Config clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock);
            return this;
        }

        /** The randomness of the lottery; seed it in tests. */
        public Config random(RandomGenerator random) {
            this.random = Objects.requireNonNull(random);
            return this;
        }

        /** How long the proxy waits for a worker's stream to start. */
        public Config workerTimeout(Duration timeout) {
            this.workerTimeout = Objects.requireNonNull(timeout);
            return this;
        }

        /** Request threads where the JDK has no virtual threads; see {@link #DEFAULT_THREADS}. */
        public Config maxThreads(int maxThreads) {
            this.maxThreads = maxThreads;
            return this;
        }

        /** How often every worker is asked for its status; zero turns the check off. */
        public Config healthCheckInterval(Duration interval) {
            this.healthCheckInterval = Objects.requireNonNull(interval);
            return this;
        }

        /** How long a worker gets to answer a health check before it is marked unhealthy. */
        public Config healthCheckTimeout(Duration timeout) {
            this.healthCheckTimeout = Objects.requireNonNull(timeout);
            return this;
        }

        /**
         * Whether workers may register at link-local addresses (169.254.0.0/16, fe80::/10, such
         * as cloud metadata services); off by default so that register cannot be used to make
         * the controller fetch them.
         */
        public Config allowLinkLocal(boolean allow) {
            this.allowLinkLocal = allow;
            return this;
        }

        /** Serve HTTPS with this certificate; null for plain HTTP. */
        public Config tls(Tls.Server tls) {
            this.tls = tls;
            return this;
        }

        /** The client the controller calls workers with (one that trusts their CA); null for
         * the default. */
        public Config httpClient(java.net.http.HttpClient client) {
            this.httpClient = client;
            return this;
        }

        /**
         * Binds the port and starts serving.
         *
         * @throws RuntimeException from the HTTP server when the port cannot be bound
         */
        public ControllerServer start() {
            Metrics metrics = new Metrics();
            ControllerMetrics controllerMetrics = new ControllerMetrics(metrics);
            WorkerRegistry registry = new WorkerRegistry(policy, heartbeatExpiration, clock, random,
                    controllerMetrics);
            // The same token guards the workers, so the controller presents it when it calls them.
            // Built on first use: an HTTP client loads TLS and the CA store, megabytes that a
            // controller whose workers send their status never needs.
            String workerToken = token;
            Duration timeout = workerTimeout;
            java.net.http.HttpClient workerHttp = httpClient;
            Supplier<WorkerClient> workers = new Supplier<>() {
                private WorkerClient client;

                @Override
                public synchronized WorkerClient get() {
                    if (client == null) {
                        client = new WorkerClient(workerHttp == null ? new JsonHttp(workerToken)
                                : new JsonHttp(workerHttp, workerToken), timeout);
                    }
                    return client;
                }
            };
            ControllerRoutes routes = new ControllerRoutes(registry, workers, controllerMetrics,
                    new WorkerRequests.Addresses(allowLinkLocal));
            HttpServer http = HttpServer.builder("controller")
                    .host(host)
                    .port(port)
                    .token(token)
                    .metrics(metrics)
                    .maxThreads(maxThreads)
                    .maxRequestBytes(MAX_REQUEST_BYTES)
                    .tls(tls)
                    .routes(routes::install)
                    .start();
            // Two threads: a health-check round waiting on hung workers must not delay the reaper.
            ScheduledExecutorService reaper = Executors.newScheduledThreadPool(2, r -> {
                Thread t = new Thread(r, "controller-reaper");
                t.setDaemon(true);
                return t;
            });
            long every = registry.reapInterval().toMillis();
            reaper.scheduleWithFixedDelay(() -> {
                try {
                    registry.expire();
                } catch (RuntimeException e) {
                    log.error("reaper failed; it runs again in {} ms", every, e);
                }
            }, every, every, TimeUnit.MILLISECONDS);
            HealthChecker health = new HealthChecker(registry, workers, healthCheckTimeout);
            long checkEvery = healthCheckInterval.toMillis();
            if (checkEvery > 0) {
                reaper.scheduleWithFixedDelay(() -> {
                    try {
                        health.checkAll();
                    } catch (RuntimeException e) {
                        log.error("health check failed; it runs again in {} ms", checkEvery, e);
                    }
                }, checkEvery, checkEvery, TimeUnit.MILLISECONDS);
            }
            log.info("controller dispatching by {}, heartbeat expiration {} s, health check every "
                    + "{} s", policy.name(), heartbeatExpiration.toMillis() / 1000.0,
                    checkEvery / 1000.0);
            return new ControllerServer(registry, http, reaper, health);
        }
    }
}
