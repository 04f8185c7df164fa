package dev.infer.client;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import javax.net.ssl.SSLContext;
import org.apache.hc.client5.http.config.ConnectionConfig;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.client5.http.impl.classic.HttpClients;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManagerBuilder;
import org.apache.hc.client5.http.ssl.DefaultClientTlsStrategy;
import org.apache.hc.core5.http.io.SocketConfig;
import org.apache.hc.core5.util.TimeValue;
import org.apache.hc.core5.util.Timeout;

/**
 * The blocking HTTP/1.1 clients that read generate streams on the caller's own thread (see
 * {@link GenerateStream}), one per TLS trust (an {@link SSLContext}), with pooled keep-alive
 * connections. Deadlines are not socket timeouts (a worker's keep-alive bytes would reset those)
 * but a shared timer that aborts an exchange when its caller has waited too long.
 */
final class BlockingHttp {
    /** Streams to one worker at once, far above what one worker admits. */
    private static final int MAX_PER_ROUTE = 1024;
    private static final Map<SSLContext, CloseableHttpClient> CLIENTS = new ConcurrentHashMap<>();
    private static final ScheduledExecutorService TIMER = newTimer();

    private BlockingHttp() {}

    /** The client that trusts what {@code tls} trusts; created on first use, kept for the JVM. */
    static CloseableHttpClient client(SSLContext tls) {
        return CLIENTS.computeIfAbsent(tls, BlockingHttp::create);
    }

    /** The timer that enforces stream deadlines; one daemon thread for the whole process. */
    static ScheduledExecutorService timer() {
        return TIMER;
    }

    private static ScheduledExecutorService newTimer() {
        ScheduledThreadPoolExecutor t = new ScheduledThreadPoolExecutor(1, r -> {
            Thread thread = Executors.defaultThreadFactory().newThread(r);
            thread.setName("infer-stream-deadlines");
            thread.setDaemon(true);
            return thread;
        });
        t.setRemoveOnCancelPolicy(true);
        return t;
    }

    private static CloseableHttpClient create(SSLContext tls) {
        return HttpClients.custom()
                .setConnectionManager(PoolingHttpClientConnectionManagerBuilder.create()
                        .setTlsSocketStrategy(new DefaultClientTlsStrategy(tls))
                        .setDefaultSocketConfig(SocketConfig.custom().setTcpNoDelay(true).build())
                        .setDefaultConnectionConfig(ConnectionConfig.custom()
                                .setConnectTimeout(Timeout.ofSeconds(5))
                                // Deadlines come from the timer, not from socket timeouts.
                                .setSocketTimeout(Timeout.DISABLED)
                                // A pooled connection idle this long is checked before reuse,
                                // so a restarted worker does not cost a failed request.
                                .setValidateAfterInactivity(TimeValue.ofSeconds(1))
                                .build())
                        .setMaxConnPerRoute(MAX_PER_ROUTE)
                        .setMaxConnTotal(4 * MAX_PER_ROUTE)
                        .build())
                .evictIdleConnections(TimeValue.ofSeconds(30))
                .disableAutomaticRetries()
                .disableRedirectHandling()
                .disableContentCompression()
                .disableCookieManagement()
                .disableAuthCaching()
                .build();
    }
}
