package dev.infer.openai;

import dev.infer.client.ClientException;
import dev.infer.client.ControllerClient;
import dev.infer.protocol.ErrorCode;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Asks the controller which models exist and which worker serves one, remembering each answer for
 * a short time so that a request normally costs no controller call at all, then one worker call.
 * An answer older than the cache period but younger than {@link #STALE_PERIODS} periods is still
 * used while one background call refreshes it, so that even the request that finds it expired
 * does not wait for the controller. A worker that fails is forgotten at once, so the next request
 * asks again.
 *
 * <p>A cached worker is reused only while none of this server's requests is running on it: a busy
 * one makes the next request ask the controller again, whose dispatch policy counts that request,
 * so concurrent load is balanced per request while sequential requests cost no controller call.
 * A period of zero asks the controller every time. Thread-safe.
 */
final class WorkerRouter {
    private static final Logger log = LoggerFactory.getLogger(WorkerRouter.class);
    /** How often to ask the controller for a different worker after one failed. */
    private static final int MAX_ASKS_FOR_ANOTHER = 3;
    /** How many cache periods an expired answer may still serve while it is being refreshed. */
    static final int STALE_PERIODS = 10;
    private static final String MODELS_KEY = "\0models";

    private final ControllerClient controller;
    private final long ttlMillis;
    private final Clock clock;
    private final Executor refresher;
    private final Map<String, Cached<String>> addresses = new ConcurrentHashMap<>();
    /** Streams of ours open to each worker, so that a busy cached worker is not reused. */
    private final Map<String, java.util.concurrent.atomic.AtomicInteger> inFlight =
            new ConcurrentHashMap<>();
    private final Set<String> refreshing = ConcurrentHashMap.newKeySet();
    private volatile Cached<List<String>> models;

    private record Cached<T>(T value, long fetchedAt) {}

    WorkerRouter(ControllerClient controller, Duration ttl, Clock clock, Executor refresher) {
        this.controller = controller;
        this.ttlMillis = ttl.toMillis();
        this.clock = clock;
        this.refresher = refresher;
    }

    /** Whether a cached answer can be used as it is: fresh, or stale with a refresh started. */
    private boolean usable(Cached<?> cached, String key, Runnable refresh) {
        if (cached == null) {
            return false;
        }
        long age = clock.millis() - cached.fetchedAt();
        if (age < ttlMillis) {
            return true;
        }
        if (age >= ttlMillis * STALE_PERIODS) {
            return false;
        }
        if (refreshing.add(key)) {
            refresher.execute(() -> {
                try {
                    refresh.run();
                } catch (RuntimeException e) {
                    log.debug("background refresh of {} failed: {}", key, e.getMessage());
                } finally {
                    refreshing.remove(key);
                }
            });
        }
        return true;
    }

    String controllerUrl() {
        return controller.baseUrl();
    }

    /** The models the cluster serves. */
    List<String> models() {
        Cached<List<String>> m = models;
        if (usable(m, MODELS_KEY, this::fetchModels)) {
            return m.value();
        }
        return fetchModels();
    }

    private List<String> fetchModels() {
        List<String> fresh = askController(() -> List.copyOf(controller.listModels()));
        models = new Cached<>(fresh, clock.millis());
        return fresh;
    }

    /**
     * Fails with 404 unless {@code model} is served. A model missing from a cached list is looked
     * up once more, so that a worker that has just registered is found.
     */
    void requireModel(String model) {
        if (models().contains(model)) {
            return;
        }
        models = null;
        List<String> fresh = models();
        if (!fresh.contains(model)) {
            throw new ApiException(404, ErrorCode.INVALID_MODEL, "model", "The model '" + model
                    + "' does not exist; served models: " + (fresh.isEmpty() ? "none"
                            : String.join(", ", fresh)));
        }
    }

    /**
     * A worker address for {@code model} that is not in {@code exclude}.
     *
     * @throws ApiException 503 when the controller has none (or only excluded ones)
     */
    String address(String model, Set<String> exclude) {
        Cached<String> cached = addresses.get(model);
        if (cached != null && !exclude.contains(cached.value()) && idle(cached.value())
                && usable(cached, model, () -> fetchAddress(model))) {
            return cached.value();
        }
        for (int ask = 0; ask < MAX_ASKS_FOR_ANOTHER; ask++) {
            String address = askController(() -> controller.workerAddress(model));
            if (address.isEmpty()) {
                addresses.remove(model);
                throw new ApiException(503, ErrorCode.CONTROLLER_NO_WORKER, null,
                        "no worker serves model '" + model + "' (controller " + controller.baseUrl()
                                + ")");
            }
            if (!exclude.contains(address)) {
                addresses.put(model, new Cached<>(address, clock.millis()));
                return address;
            }
            log.debug("controller offered failed worker {} again for {}", address, model);
        }
        throw new ApiException(503, ErrorCode.CONTROLLER_NO_WORKER, null,
                "no other worker serves model '" + model + "' (tried " + String.join(", ",
                        exclude) + ")");
    }

    private void fetchAddress(String model) {
        String address = askController(() -> controller.workerAddress(model));
        if (address.isEmpty()) {
            addresses.remove(model);
        } else {
            addresses.put(model, new Cached<>(address, clock.millis()));
        }
    }

    /** Counts one stream of ours as running on {@code address}; balance with {@link #released}. */
    void acquired(String address) {
        inFlight.computeIfAbsent(address, a -> new java.util.concurrent.atomic.AtomicInteger())
                .incrementAndGet();
    }

    /** The stream {@link #acquired} counted on {@code address} has ended. */
    void released(String address) {
        java.util.concurrent.atomic.AtomicInteger n = inFlight.get(address);
        if (n != null) {
            n.decrementAndGet();
        }
    }

    private boolean idle(String address) {
        java.util.concurrent.atomic.AtomicInteger n = inFlight.get(address);
        return n == null || n.get() <= 0;
    }

    /** Forgets {@code address} for {@code model} after it failed. */
    void forget(String model, String address) {
        addresses.computeIfPresent(model, (k, v) -> v.value().equals(address) ? null : v);
        models = null;
    }

    private <T> T askController(java.util.function.Supplier<T> call) {
        try {
            return call.get();
        } catch (ClientException e) {
            int status = e.kind() == ClientException.Kind.TIMEOUT ? 504 : 503;
            throw new ApiException(status, status == 504 ? ErrorCode.CONTROLLER_WORKER_TIMEOUT
                    : ErrorCode.CONTROLLER_NO_WORKER, null, "controller unavailable: "
                            + e.getMessage());
        }
    }
}
