package dev.infer.openai;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * Settings of {@code infer api}.
 *
 * @param controllerUrl the controller to ask for models and workers
 * @param clusterToken the cluster's own {@code --token}, sent to controller and workers, or null
 * @param apiKeys keys a client must send as {@code Authorization: Bearer KEY}; empty for none
 * @param firstTokenTimeout the longest wait for a worker's first chunk (default 120 s: a worker
 *     may queue the request behind others, and a long prompt takes a while on a CPU)
 * @param idleTimeout the longest silence between two chunks once a stream runs (default 60 s)
 * @param cacheTtl how long model lists and worker addresses are reused (default 1 s; zero asks
 *     the controller on every request)
 */
public record ApiConfig(
        String host,
        int port,
        String controllerUrl,
        String clusterToken,
        List<String> apiKeys,
        Duration firstTokenTimeout,
        Duration idleTimeout,
        Duration cacheTtl) {

    public static final Duration DEFAULT_FIRST_TOKEN_TIMEOUT = Duration.ofSeconds(120);
    public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(60);
    public static final Duration DEFAULT_CACHE_TTL = Duration.ofSeconds(1);

    public ApiConfig {
        Objects.requireNonNull(host);
        Objects.requireNonNull(controllerUrl);
        apiKeys = apiKeys == null ? List.of() : apiKeys.stream().filter(k -> k != null
                && !k.isEmpty()).toList();
        firstTokenTimeout = firstTokenTimeout == null ? DEFAULT_FIRST_TOKEN_TIMEOUT
                : firstTokenTimeout;
        idleTimeout = idleTimeout == null ? DEFAULT_IDLE_TIMEOUT : idleTimeout;
        cacheTtl = cacheTtl == null ? DEFAULT_CACHE_TTL : cacheTtl;
    }

    /** Loopback, an ephemeral port, no keys and the default timeouts: what tests start. */
    public static ApiConfig local(String controllerUrl) {
        return new ApiConfig("127.0.0.1", 0, controllerUrl, null, List.of(), null, null, null);
    }

    public ApiConfig withApiKeys(List<String> keys) {
        return new ApiConfig(host, port, controllerUrl, clusterToken, keys, firstTokenTimeout,
                idleTimeout, cacheTtl);
    }

    public ApiConfig withTimeouts(Duration firstToken, Duration idle) {
        return new ApiConfig(host, port, controllerUrl, clusterToken, apiKeys, firstToken, idle,
                cacheTtl);
    }

    public ApiConfig withCacheTtl(Duration ttl) {
        return new ApiConfig(host, port, controllerUrl, clusterToken, apiKeys, firstTokenTimeout,
                idleTimeout, ttl);
    }

    @Override
    public String toString() {
        // Keys and tokens stay out of logs.
        return "ApiConfig[" + host + ":" + port + ", controller=" + controllerUrl + ", keys="
                + apiKeys.size()
                + ", firstTokenTimeout=" + firstTokenTimeout + ", idleTimeout=" + idleTimeout
                + ", cacheTtl=" + cacheTtl + "]";
    }
}
