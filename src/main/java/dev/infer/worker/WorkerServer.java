package dev.infer.worker;

import dev.infer.client.ControllerClient;
import dev.infer.client.JsonHttp;
import dev.infer.engine.EngineException;
import dev.infer.engine.Embeddings;
import dev.infer.engine.LoadedModel;
import dev.infer.metrics.Metrics;
import dev.infer.protocol.CountTokenRequest;
import dev.infer.protocol.CountTokenResponse;
import dev.infer.protocol.EmbeddingRequest;
import dev.infer.protocol.EmbeddingResponse;
import dev.infer.protocol.ErrorCode;
import dev.infer.protocol.Json;
import dev.infer.protocol.ModelDetails;
import dev.infer.protocol.ProtocolException;
import dev.infer.protocol.ShutdownRequest;
import dev.infer.protocol.WorkerStatus;
import dev.infer.server.HttpServer;
import dev.infer.server.Tls;
import dev.infer.worker.WorkerMetrics.Outcome;
import io.javalin.Javalin;
import io.javalin.http.Context;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A model worker: FastChat's worker endpoints over one {@link LoadedModel}, admission control,
 * registration with the controller, and a graceful shutdown. It owns the model from
 * {@link #start} on and closes it when it stops.
 *
 * <p>Shutdown ({@link #shutdown}, {@code POST /worker_shutdown}, or the command's signal hook):
 * new requests get 503, admitted ones run to the end for up to the drain timeout, the rest are
 * cancelled, heartbeats stop and the controller is asked to drop the worker, the HTTP server and
 * the model close, and {@link #terminated()} completes. Exiting the process is the caller's
 * business.
 */
public final class WorkerServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(WorkerServer.class);
    /** How long cancelled generations get to wind down after the drain timeout. */
    private static final Duration CANCEL_GRACE = Duration.ofSeconds(5);

    private final LoadedModel model;
    private final WorkerOptions options;
    private final Admission admission;
    private final WorkerMetrics metrics;
    private final GenerateEndpoint generate;
    private final AtomicBoolean stopping = new AtomicBoolean();
    private final CompletableFuture<Void> terminated = new CompletableFuture<>();
    private HttpServer http;
    private Registrar registrar;
    private String address;

    private WorkerServer(LoadedModel model, WorkerOptions options) {
        this.model = model;
        this.options = options;
        this.admission = new Admission(options.limitConcurrency(), options.maxQueue());
        this.metrics = new WorkerMetrics(new Metrics(), admission);
        this.generate = new GenerateEndpoint(model, admission, metrics, options.keepAlive(),
                options.frameInterval());
    }

    /**
     * Binds the port, starts serving and, unless told not to, starts registering in the
     * background (it never waits for the controller). On failure the model is closed.
     */
    public static WorkerServer start(LoadedModel model, WorkerOptions options) {
        return start(model, options, null, null);
    }

    /**
     * As {@link #start(LoadedModel, WorkerOptions)}, serving HTTPS when {@code tls} is set and
     * calling the controller with {@code controllerHttp} (a client that trusts its certificate)
     * when that is set.
     */
    public static WorkerServer start(LoadedModel model, WorkerOptions options, Tls.Server tls,
            java.net.http.HttpClient controllerHttp) {
        WorkerServer w = new WorkerServer(model, options);
        try {
            w.http = HttpServer.builder("worker " + model.info().name())
                    .host(options.host())
                    .port(options.port())
                    .token(options.token())
                    .tls(tls)
                    .metrics(w.metrics.registry())
                    .routes(w::routes)
                    .start();
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
        w.address = options.workerAddress() != null
                ? stripSlash(options.workerAddress()) : w.http.baseUrl();
        if (options.register()) {
            ControllerClient controller = new ControllerClient(options.controllerUrl(),
                    controllerHttp == null ? new JsonHttp(options.token())
                            : new JsonHttp(controllerHttp, options.token()),
                    Duration.ofSeconds(10));
            w.registrar = new Registrar(controller, w.address, w::status,
                    options.heartbeatInterval(), options.registerRetryMax());
            w.registrar.start();
        }
        return w;
    }

    private void routes(Javalin app) {
        app.post("/worker_generate_stream", generate::generateStream);
        app.post("/worker_generate", generate::generate);
        app.post("/worker_get_embeddings", this::embeddings);
        app.post("/count_token", this::countToken);
        app.post(
                "/model_details",
                ctx -> HttpServer.json(ctx, new ModelDetails(model.info().contextLength())));
        app.post(
                "/worker_get_conv_template",
                ctx ->
                        HttpServer.json(
                                ctx,
                                Map.of("conv", ConversationTemplate.plain(model.info().name()))));
        app.post("/worker_get_status", ctx -> HttpServer.json(ctx, status()));
        app.post("/worker_shutdown", this::shutdownRequest);
    }

    /** The address this worker registers under and answers at. */
    public String address() {
        return address;
    }

    public int port() {
        return http.port();
    }

    /** FastChat's {@code {model_names, speed, queue_length}}; queue_length counts running too. */
    public WorkerStatus status() {
        return new WorkerStatus(List.of(model.info().name()), 1.0, admission.queueLength());
    }

    /** Completes once the worker has stopped and closed the model. */
    public CompletableFuture<Void> terminated() {
        return terminated;
    }

    private void embeddings(Context ctx) throws InterruptedException {
        EmbeddingRequest r = HttpServer.body(ctx, EmbeddingRequest.class);
        new RequestMapper(model).checkModel(r.model());
        if (r.input() == null || r.input().isEmpty()) {
            throw ProtocolException.invalid(
                    "'input' must be a string or a non-empty list of strings");
        }
        for (int i = 0; i < r.input().size(); i++) {
            if (r.input().get(i) == null) {
                throw ProtocolException.invalid("input[" + i + "] is null; expected a string");
            }
        }
        try (Admission.Ticket ticket = admission.enter()) {
            ticket.awaitTurn();
            Embeddings e = model.embed(r.input(), r.truncate() == null || r.truncate());
            metrics.request("worker_get_embeddings", Outcome.OK);
            HttpServer.json(ctx, new EmbeddingResponse(e.vectors(), e.tokenCount()));
        } catch (Admission.ShuttingDown e) {
            throw GenerateEndpoint.unavailable(e);
        } catch (EngineException e) {
            metrics.request("worker_get_embeddings", Outcome.ERROR);
            throw GenerateEndpoint.httpError(e);
        }
    }

    private void countToken(Context ctx) {
        CountTokenRequest r = HttpServer.body(ctx, CountTokenRequest.class);
        if (r.prompt() == null) {
            throw ProtocolException.invalid("'prompt' (a string) is required");
        }
        try {
            HttpServer.json(ctx, new CountTokenResponse(model.countTokens(r.prompt()), 0));
        } catch (EngineException e) {
            throw GenerateEndpoint.httpError(e);
        }
    }

    private void shutdownRequest(Context ctx) {
        ShutdownRequest r = ctx.bodyAsBytes().length == 0
                ? new ShutdownRequest(null, null) : HttpServer.body(ctx, ShutdownRequest.class);
        boolean force = Boolean.TRUE.equals(r.force());
        Duration drain = options.drainTimeout();
        if (r.timeout() != null) {
            if (!Double.isFinite(r.timeout()) || r.timeout() < 0) {
                throw new ProtocolException(ErrorCode.PARAM_OUT_OF_RANGE,
                        "timeout is " + r.timeout() + "; expected seconds >= 0");
            }
            drain = Duration.ofMillis(Math.round(r.timeout() * 1000));
        }
        log.info(
                "shutdown requested over HTTP (force={}, drain up to {} s)",
                force,
                drain.toMillis() / 1000.0);
        // Send the whole answer before the shutdown can close the server under it.
        byte[] answer = Json.write(Map.of("status", force ? "stopping" : "draining",
                "queue_length", admission.queueLength())).getBytes(StandardCharsets.UTF_8);
        ctx.res().setContentType("application/json");
        ctx.res().setContentLength(answer.length);
        try {
            ctx.res().getOutputStream().write(answer);
            ctx.res().flushBuffer();
        } catch (IOException e) {
            log.debug("could not answer the shutdown request: {}", e.getMessage());
        }
        shutdown(force ? Duration.ZERO : drain);
    }

    /**
     * Starts a graceful shutdown on its own thread and returns at once; later calls only return
     * the same future. Admitted requests get up to {@code drain} to finish; zero cancels them.
     */
    public CompletableFuture<Void> shutdown(Duration drain) {
        if (!stopping.compareAndSet(false, true)) {
            return terminated;
        }
        Thread t = new Thread(() -> {
            try {
                drainAndStop(drain);
                terminated.complete(null);
            } catch (Throwable e) {
                terminated.completeExceptionally(e);
            }
        }, "worker-shutdown");
        t.setDaemon(false);
        t.start();
        return terminated;
    }

    private void drainAndStop(Duration drain) throws InterruptedException {
        admission.close();
        if (registrar != null) {
            registrar.close();
            registrar.deregister();
        }
        int inFlight = admission.queueLength();
        log.info(
                "worker {} draining: {} request(s) in flight, up to {} ms",
                address,
                inFlight,
                drain.toMillis());
        if (!admission.awaitIdle(drain)) {
            log.warn("drain timeout: cancelling {} request(s)", admission.queueLength());
            admission.abort();
            generate.cancelAll();
            if (!admission.awaitIdle(CANCEL_GRACE)) {
                log.warn("{} request(s) still running after cancellation; stopping anyway",
                        admission.queueLength());
            }
        }
        http.close();
        model.close();
        log.info("worker {} stopped", address);
    }

    /** Shuts down with no drain and waits for it; for tests and error paths. */
    @Override
    public void close() {
        shutdown(Duration.ZERO).join();
    }

    private static String stripSlash(String url) {
        return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    }
}
