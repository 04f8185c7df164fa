package dev.infer.server;

import dev.infer.metrics.Metrics;
import dev.infer.protocol.ErrorCode;
import dev.infer.protocol.Json;
import dev.infer.protocol.ProtocolException;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import io.javalin.json.JavalinJackson;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Javalin server as every part of {@code infer} runs one: JSON through {@link Json}, one
 * exception mapper, {@code GET /health}, {@code GET /metrics}, optional bearer-token check,
 * loopback unless told otherwise, and request handling on virtual threads where the JDK has them.
 *
 * <p>Handlers throw {@link ProtocolException} or {@link HttpError} for failures the caller caused;
 * anything else is logged with its trace and answered as a 500 whose body names no internals.
 */
public final class HttpServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(HttpServer.class);

    /** Default limit on a request body: generous for prompts, small enough to refuse abuse. */
    public static final long DEFAULT_MAX_REQUEST_BYTES = 16L * 1024 * 1024;

    /**
     * Default time a connection may stay silent before it is closed, in either direction: a
     * client that stops reading a stream blocks the server's write for this long at most, then
     * the stream fails and its work is cancelled. The system property
     * {@code infer.http.idle-timeout-ms} changes it for servers built after.
     */
    public static final java.time.Duration DEFAULT_IDLE_TIMEOUT = java.time.Duration.ofSeconds(30);
    /**
     * Longest time a request body may take to arrive: a slow-loris client that trickles a body
     * is answered 408 then, instead of holding a request thread for as long as it likes. The
     * system property {@code infer.http.body-timeout-ms} changes it for servers built after.
     */
    public static final java.time.Duration DEFAULT_BODY_TIMEOUT = java.time.Duration.ofSeconds(30);

    private final String name;
    private final Javalin app;
    private final String host;
    private final String scheme;

    private HttpServer(String name, Javalin app, String host, String scheme) {
        this.name = name;
        this.app = app;
        this.host = host;
        this.scheme = scheme;
    }

    public static Builder builder(String name) {
        return new Builder(name);
    }

    /** The port actually bound (useful after asking for port 0). */
    public int port() {
        return app.port();
    }

    /** {@code http://host:port}, with a wildcard bind address replaced by loopback. */
    public String baseUrl() {
        String h = host.equals("0.0.0.0") || host.equals("::") ? "127.0.0.1" : host;
        if (h.contains(":")) {
            h = "[" + h + "]";
        }
        return scheme + "://" + h + ":" + port();
    }

    /** Stops accepting connections and ends the server; in-flight handlers are interrupted. */
    @Override
    public void close() {
        app.stop();
        log.info("{} stopped", name);
    }

    /** Reads the request body as {@code type}, with a one-line validation error on any failure. */
    public static <T> T body(Context ctx, Class<T> type) {
        return Json.read(ctx.bodyAsBytes(), type);
    }

    /** Writes {@code value} as the JSON response (status 200). */
    public static void json(Context ctx, Object value) {
        ctx.contentType("application/json").result(Json.write(value));
    }

    /** Builds and starts a server. */
    public static final class Builder {
        private final String name;
        private String host = "127.0.0.1";
        private int port;
        private String token;
        private Set<String> openPaths = Set.of("/health");
        private long maxRequestBytes = DEFAULT_MAX_REQUEST_BYTES;
        private int maxThreads;
        private Metrics metrics;
        private ErrorRenderer errors = ErrorRenderer.FASTCHAT;
        private Consumer<Javalin> routes = app -> {};
        private Tls.Server tls;
        private java.time.Duration idleTimeout = java.time.Duration.ofMillis(Long.getLong(
                "infer.http.idle-timeout-ms", DEFAULT_IDLE_TIMEOUT.toMillis()));
        private java.time.Duration bodyTimeout = java.time.Duration.ofMillis(Long.getLong(
                "infer.http.body-timeout-ms", DEFAULT_BODY_TIMEOUT.toMillis()));

        private Builder(String name) {
            this.name = name;
        }

        public Builder host(String host) {
            this.host = Objects.requireNonNull(host);
            return this;
        }

        public Builder port(int port) {
            this.port = port;
            return this;
        }

        /** When non-null, every path but the open ones requires {@code Authorization: Bearer token}. */
        public Builder token(String token) {
            this.token = token == null || token.isEmpty() ? null : token;
            return this;
        }

        /** Paths answered without a token; {@code /health} by default. */
        public Builder openPaths(Set<String> paths) {
            this.openPaths = Set.copyOf(paths);
            return this;
        }

        public Builder maxRequestBytes(long bytes) {
            this.maxRequestBytes = bytes;
            return this;
        }

        /**
         * On a JDK without virtual threads, the most platform threads serving requests (0 keeps
         * Javalin's default of 250). Fewer threads keep a server's memory small; ignored where
         * virtual threads serve requests.
         */
        public Builder maxThreads(int maxThreads) {
            this.maxThreads = maxThreads;
            return this;
        }

        /** Serve HTTPS with this certificate and key; null (the default) for plain HTTP. */
        public Builder tls(Tls.Server tls) {
            this.tls = tls;
            return this;
        }

        /** How long a connection may stay silent, mid-request included, before it is closed. */
        public Builder idleTimeout(java.time.Duration timeout) {
            this.idleTimeout = Objects.requireNonNull(timeout);
            return this;
        }

        /** Longest time a request body may take to arrive before the request is refused (408). */
        public Builder bodyTimeout(java.time.Duration timeout) {
            this.bodyTimeout = Objects.requireNonNull(timeout);
            return this;
        }

        public Builder metrics(Metrics metrics) {
            this.metrics = metrics;
            return this;
        }

        public Builder errors(ErrorRenderer renderer) {
            this.errors = Objects.requireNonNull(renderer);
            return this;
        }

        public Builder routes(Consumer<Javalin> routes) {
            this.routes = Objects.requireNonNull(routes);
            return this;
        }

        /**
         * Starts the server.
         *
         * @throws java.io.UncheckedIOException or a Javalin exception when the port cannot be bound
         */
        public HttpServer start() {
            Javalin app = Javalin.create(config -> {
                config.showJavalinBanner = false;
                config.useVirtualThreads = true;
                config.startupWatcherEnabled = false;
                config.jsonMapper(new JavalinJackson(Json.mapper(), true));
                config.http.maxRequestSize = maxRequestBytes;
                if (maxThreads > 0 && !VirtualThreads.available()) {
                    config.jetty.threadPool = io.javalin.util.ConcurrencyUtil.jettyThreadPool(
                            "JettyServerThreadPool", Math.min(8, maxThreads), maxThreads, false);
                }
                long limit = maxRequestBytes;
                java.time.Duration deadline = bodyTimeout;
                config.jetty.modifyServletContextHandler(h -> h.addFilter(
                        new org.eclipse.jetty.servlet.FilterHolder(new BodyLimit(limit, deadline)),
                        "/*",
                        java.util.EnumSet.of(jakarta.servlet.DispatcherType.REQUEST)));
                config.jetty.addConnector((server, http) -> connector(server, http));
            });
            installAuth(app);
            installErrors(app);
            long limit = maxRequestBytes;
            app.before(ctx -> {
                // Javalin checks an int Content-Length; a declared length past 2 GB reads as -1.
                if (ctx.req().getContentLengthLong() > limit) {
                    throw new HttpError(413, ErrorCode.VALIDATION,
                            "request body larger than " + limit + " bytes");
                }
            });
            app.get("/health", ctx -> json(ctx, java.util.Map.of("status", "ok")));
            if (metrics != null) {
                Metrics m = metrics;
                app.get("/metrics", ctx -> ctx.contentType(Metrics.CONTENT_TYPE).result(m.scrape()));
            }
            routes.accept(app);
            app.start();
            HttpServer server = new HttpServer(name, app, host, tls == null ? "http" : "https");
            log.info("{} listening on {}", name, server.baseUrl());
            return server;
        }

        /** The one listening connector: plain HTTP, or TLS when a certificate is set. */
        private org.eclipse.jetty.server.ServerConnector connector(
                org.eclipse.jetty.server.Server server,
                org.eclipse.jetty.server.HttpConfiguration http) {
            org.eclipse.jetty.server.HttpConnectionFactory plain =
                    new org.eclipse.jetty.server.HttpConnectionFactory(http);
            org.eclipse.jetty.server.ServerConnector c;
            if (tls == null) {
                c = new org.eclipse.jetty.server.ServerConnector(server, plain);
            } else {
                // Clients connect by IP address as often as by name, and send no SNI then.
                org.eclipse.jetty.server.SecureRequestCustomizer secure =
                        new org.eclipse.jetty.server.SecureRequestCustomizer(false);
                secure.setSniHostCheck(false);
                http.addCustomizer(secure);
                c = new org.eclipse.jetty.server.ServerConnector(server,
                        new org.eclipse.jetty.server.SslConnectionFactory(tls.contextFactory(),
                                "http/1.1"), plain);
            }
            c.setHost(host);
            c.setPort(port);
            c.setIdleTimeout(idleTimeout.toMillis());
            return c;
        }

        private void installAuth(Javalin app) {
            if (token == null) {
                return;
            }
            List<String> secrets = List.of(token);
            app.before(ctx -> {
                if (openPaths.contains(ctx.path())) {
                    return;
                }
                String header = ctx.header("Authorization");
                if (header == null) {
                    throw new HttpError(401, ErrorCode.INVALID_AUTH_KEY,
                            "missing Authorization header; this server requires 'Bearer <token>'");
                }
                if (!Secrets.bearerMatches(header, secrets)) {
                    throw new HttpError(401, ErrorCode.INCORRECT_AUTH_KEY, "invalid bearer token");
                }
            });
        }

        private void installErrors(Javalin app) {
            ErrorRenderer r = errors;
            app.exception(HttpError.class, (e, ctx) -> respond(ctx, r, e.status(), e.code(), e.getMessage()));
            app.exception(ProtocolException.class, (e, ctx) ->
                    respond(ctx, r, e.code().httpStatus(), e.code(), e.getMessage()));
            app.exception(HttpResponseException.class, (e, ctx) -> {
                ErrorCode code = e.getStatus() == 401 ? ErrorCode.INVALID_AUTH_KEY
                        : e.getStatus() >= 500 ? ErrorCode.INTERNAL : ErrorCode.VALIDATION;
                String message = switch (e.getStatus()) {
                    case 413 -> "request body larger than " + maxRequestBytes + " bytes";
                    case 404 -> "no endpoint " + ctx.method() + " " + ctx.path();
                    case 405 -> "method " + ctx.method() + " not allowed on " + ctx.path();
                    default -> e.getMessage();
                };
                respond(ctx, r, e.getStatus(), code, message);
            });
            app.exception(org.eclipse.jetty.http.BadMessageException.class, (e, ctx) -> {
                // Jetty's own verdict on a request it could not read (bad chunking, timeout).
                int status = e.getCode() >= 400 && e.getCode() < 500 ? e.getCode() : 400;
                respond(ctx, r, status, ErrorCode.VALIDATION, "bad request: " + e.getReason());
            });
            app.exception(Exception.class, (e, ctx) -> {
                log.error("{}: {} {} failed", name, ctx.method(), ctx.path(), e);
                respond(ctx, r, 500, ErrorCode.INTERNAL, "internal error: " + e.getClass().getSimpleName());
            });
        }

        private static void respond(Context ctx, ErrorRenderer r, int status, ErrorCode code, String message) {
            String line = message == null ? code.name() : message.replace('\n', ' ');
            ctx.status(status).contentType("application/json").result(Json.write(r.render(status, code, line)));
        }
    }
}
