package dev.infer.openai;

import dev.infer.client.ControllerClient;
import dev.infer.client.JsonHttp;
import dev.infer.client.WorkerClient;
import dev.infer.openai.OpenAiResponses.Model;
import dev.infer.openai.OpenAiResponses.ModelList;
import dev.infer.protocol.ErrorCode;
import dev.infer.server.HttpServer;
import dev.infer.server.Secrets;
import dev.infer.server.Tls;
import dev.infer.server.VirtualThreads;
import io.javalin.Javalin;
import io.javalin.http.Context;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The OpenAI-compatible API server: {@code GET /v1/models}, {@code POST /v1/chat/completions},
 * {@code POST /v1/completions} and {@code POST /v1/embeddings} in front of a controller, plus
 * {@code /health} and {@code /metrics}. Handlers only parse, delegate and write; the work is in
 * {@link Completions} and {@link Embeddings}. Close it to stop.
 */
public final class ApiServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ApiServer.class);
    private static final String REQUEST_ID = "x-request-id";
    private static final Pattern SAFE_ID = Pattern.compile("[A-Za-z0-9._:@/+=-]{1,128}");
    private static final SecureRandom RANDOM = new SecureRandom();

    private final HttpServer server;
    private final ExecutorService executor;

    private ApiServer(HttpServer server, ExecutorService executor) {
        this.server = server;
        this.executor = executor;
    }

    /** Starts the server; the port is bound when this returns. */
    public static ApiServer start(ApiConfig config) {
        return start(config, Clock.systemUTC(), null, null);
    }

    /**
     * As {@link #start(ApiConfig)}, serving HTTPS when {@code tls} is set and calling the
     * controller and workers with {@code clusterHttp} (a client that trusts their certificate)
     * when that is set.
     */
    public static ApiServer start(ApiConfig config, Tls.Server tls,
            java.net.http.HttpClient clusterHttp) {
        return start(config, Clock.systemUTC(), tls, clusterHttp);
    }

    static ApiServer start(ApiConfig config, Clock clock) {
        return start(config, clock, null, null);
    }

    private static ApiServer start(ApiConfig config, Clock clock, Tls.Server tls,
            java.net.http.HttpClient clusterHttp) {
        ApiMetrics metrics = new ApiMetrics();
        JsonHttp http = clusterHttp == null ? new JsonHttp(config.clusterToken())
                : new JsonHttp(clusterHttp, config.clusterToken());
        ExecutorService executor = VirtualThreads.perTaskExecutor("api-task");
        WorkerRouter router = new WorkerRouter(new ControllerClient(config.controllerUrl(), http,
                Duration.ofSeconds(10)), config.cacheTtl(), clock, executor);
        WorkerClient workers = new WorkerClient(http, config.firstTokenTimeout());
        Upstream upstream = new Upstream(router, workers, config.firstTokenTimeout(),
                config.idleTimeout(), metrics);
        Completions completions = new Completions(upstream, metrics, executor, fingerprint());
        Embeddings embeddings = new Embeddings(router, workers);
        long started = clock.millis() / 1000;
        HttpServer server = HttpServer.builder("api")
                .host(config.host())
                .port(config.port())
                .metrics(metrics.registry())
                .errors(OpenAiError.RENDERER)
                .tls(tls)
                .routes(app -> {
                    app.exception(ApiException.class, (e, ctx) -> ctx.status(e.status())
                            .contentType("application/json")
                            .result(dev.infer.protocol.Json.write(OpenAiError.of(e.status(),
                                    e.code(), e.param(),
                                    e.getMessage().replace('\n', ' ')))));
                    app.before(ctx -> before(ctx, config.apiKeys()));
                    app.after(ctx -> metrics.request(route(ctx.path()), ctx.statusCode()));
                    routes(app, router, completions, embeddings, started);
                })
                .start();
        log.info("api serving the models of controller {} ({} API keys, first-token timeout {} s, "
                + "idle timeout {} s)", config.controllerUrl(), config.apiKeys().size(),
                config.firstTokenTimeout().toSeconds(), config.idleTimeout().toSeconds());
        return new ApiServer(server, executor);
    }

    private static void routes(Javalin app, WorkerRouter router, Completions completions,
            Embeddings embeddings, long started) {
        app.get("/v1/models", ctx -> HttpServer.json(ctx, new ModelList("list",
                router.models().stream().map(id -> new Model(id, "model", started,
                        "infer")).toList())));
        app.get("/v1/models/<model>", ctx -> {
            String id = ctx.pathParam("model");
            router.requireModel(id);
            HttpServer.json(ctx, new Model(id, "model", started, "infer"));
        });
        app.post("/v1/chat/completions", ctx -> generate(ctx, completions, ResponseShape.CHAT,
                GenerateParams.chat(OpenAiRequests.read(ctx.bodyAsBytes(),
                        OpenAiRequests.ChatCompletion.class))));
        app.post("/v1/completions", ctx -> generate(ctx, completions, ResponseShape.COMPLETION,
                GenerateParams.completion(OpenAiRequests.read(ctx.bodyAsBytes(),
                        OpenAiRequests.Completion.class))));
        app.post("/v1/embeddings", ctx -> HttpServer.json(ctx,
                embeddings.create(OpenAiRequests.read(ctx.bodyAsBytes(),
                        OpenAiRequests.Embeddings.class))));
    }

    private static void generate(Context ctx, Completions completions, ResponseShape shape,
            GenerateParams.Plan plan) {
        if (!plan.stream()) {
            HttpServer.json(ctx, completions.complete(shape, plan));
            return;
        }
        completions.stream(shape, plan, () -> {
            ctx.status(200);
            ctx.res().setContentType("text/event-stream; charset=utf-8");
            ctx.res().setHeader("Cache-Control", "no-cache");
            // Tells a buffering reverse proxy (nginx) to pass events on as they come.
            ctx.res().setHeader("X-Accel-Buffering", "no");
            try {
                // Headers leave with the first event, not in a packet of their own.
                return new SseWriter(ctx.res().getOutputStream());
            } catch (IOException e) {
                throw new UncheckedIOException("client left before the stream started", e);
            }
        });
    }

    /** Echoes or invents the request id, then checks the API key on {@code /v1} routes. */
    private static void before(Context ctx, List<String> keys) {
        String id = ctx.header(REQUEST_ID);
        if (id == null || !SAFE_ID.matcher(id).matches()) {
            byte[] bytes = new byte[16];
            RANDOM.nextBytes(bytes);
            id = "req_" + HexFormat.of().formatHex(bytes);
        }
        ctx.header(REQUEST_ID, id);
        if (keys.isEmpty() || !ctx.path().startsWith("/v1/")) {
            return;
        }
        String header = ctx.header("Authorization");
        if (header == null || header.isBlank()) {
            throw new ApiException(401, ErrorCode.INVALID_AUTH_KEY, null,
                    "You didn't provide an API key; "
                    + "send it as 'Authorization: Bearer YOUR_KEY'");
        }
        if (!Secrets.bearerMatches(header, keys)) {
            throw new ApiException(401, ErrorCode.INCORRECT_AUTH_KEY, null,
                    "Incorrect API key provided");
        }
    }

    /** The route label for metrics: the endpoint, without ids, and "other" for unknown paths. */
    static String route(String path) {
        return switch (path) {
            case "/v1/models", "/v1/chat/completions", "/v1/completions", "/v1/embeddings",
                    "/health",
                    "/metrics" -> path;
            default -> path.startsWith("/v1/models/") ? "/v1/models/{model}" : "other";
        };
    }

    private static String fingerprint() {
        String version = ApiServer.class.getPackage().getImplementationVersion();
        return "fp_" + Integer.toHexString(("infer-" + (version == null ? "dev"
                : version)).hashCode());
    }

    public int port() {
        return server.port();
    }

    public String baseUrl() {
        return server.baseUrl();
    }

    @Override
    public void close() {
        server.close();
        executor.shutdownNow();
    }
}
