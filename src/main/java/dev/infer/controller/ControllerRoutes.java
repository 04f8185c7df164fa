package dev.infer.controller;

import com.fasterxml.jackson.databind.JsonNode;
import dev.infer.client.ClientException;
import dev.infer.client.WorkerClient;
import dev.infer.protocol.ErrorCode;
import dev.infer.protocol.HeartbeatRequest;
import dev.infer.protocol.HeartbeatResponse;
import dev.infer.protocol.Json;
import dev.infer.protocol.KillRequest;
import dev.infer.protocol.KillResponse;
import dev.infer.protocol.ModelList;
import dev.infer.protocol.ProtocolException;
import dev.infer.protocol.RegisterWorkerRequest;
import dev.infer.protocol.ShutdownRequest;
import dev.infer.protocol.WorkerAddressRequest;
import dev.infer.protocol.WorkerAddressResponse;
import dev.infer.protocol.WorkerInfo;
import dev.infer.protocol.WorkerList;
import dev.infer.protocol.WorkerStatus;
import dev.infer.server.HttpError;
import dev.infer.server.HttpServer;
import io.javalin.Javalin;
import io.javalin.http.Context;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The controller's HTTP endpoints, FastChat's paths and shapes plus the operator extensions
 * {@code /list_workers} and {@code /kill_worker}. Handlers parse, validate, call the registry and
 * write; the registry holds the logic.
 */
final class ControllerRoutes {
    private static final Logger log = LoggerFactory.getLogger(ControllerRoutes.class);
    /** Most workers asked at once by a refresh or a kill. */
    private static final int FAN_OUT = 32;

    private final WorkerRegistry registry;
    private final Supplier<WorkerClient> workers;
    private final ControllerMetrics metrics;
    private final StreamProxy proxy;
    private final WorkerRequests.Addresses addresses;

    /** {@code workers} is asked for a client only when a worker must be called. */
    ControllerRoutes(WorkerRegistry registry, Supplier<WorkerClient> workers,
            ControllerMetrics metrics, WorkerRequests.Addresses addresses) {
        this.addresses = addresses;
        this.registry = registry;
        this.workers = workers;
        this.metrics = metrics;
        this.proxy = new StreamProxy(registry, workers, metrics);
    }

    void install(Javalin app) {
        app.post("/register_worker", this::register);
        app.post("/receive_heart_beat", this::heartbeat);
        app.post("/get_worker_address", this::workerAddress);
        app.post("/list_models", ctx -> HttpServer.json(ctx,
                new ModelList(List.copyOf(registry.modelCounts().keySet()))));
        app.post("/refresh_all_workers", this::refresh);
        app.post("/worker_get_status", ctx -> HttpServer.json(ctx, summedStatus()));
        app.post("/worker_generate_stream", proxy::handle);
        app.get("/test_connection", ctx -> HttpServer.json(ctx, "success"));
        app.post("/list_workers", ctx -> HttpServer.json(ctx, new WorkerList(registry.snapshot())));
        app.post("/kill_worker", this::kill);
        app.after(this::countError);
    }

    private void register(Context ctx) {
        RegisterWorkerRequest req = HttpServer.body(ctx, RegisterWorkerRequest.class);
        String name = addresses.check("worker_name", req.workerName());
        WorkerStatus status = req.workerStatus();
        if (status != null) {
            WorkerRequests.status("field 'worker_status.", status);
        } else {
            status = fetchStatus(name);
        }
        boolean check = req.checkHeartBeat() == null || req.checkHeartBeat();
        registry.register(name, status.modelNames(), status.speed(), status.queueLength(), check);
        HttpServer.json(ctx, null);
    }

    private WorkerStatus fetchStatus(String name) {
        WorkerStatus status;
        try {
            status = workers.get().status(name);
        } catch (ClientException e) {
            // The caller named an address that does not answer as a worker: its mistake, a 400.
            throw new HttpError(400, ErrorCode.VALIDATION,
                    "cannot fetch the status of worker " + name + ": " + e.getMessage());
        }
        if (status == null) {
            throw ProtocolException.invalid(
                    "worker " + name + " answered /worker_get_status with null");
        }
        return WorkerRequests.status("worker " + name + " answered /worker_get_status with field '",
                status);
    }

    private void heartbeat(Context ctx) {
        HeartbeatRequest req = HttpServer.body(ctx, HeartbeatRequest.class);
        String name = WorkerRequests.required("worker_name", req.workerName());
        int queue = WorkerRequests.queueLength("field 'queue_length'", req.queueLength());
        boolean exist = registry.heartbeat(name, queue);
        if (!exist) {
            log.debug("heartbeat from unknown worker {}", name);
        }
        HttpServer.json(ctx, new HeartbeatResponse(exist));
    }

    private void workerAddress(Context ctx) {
        WorkerAddressRequest req = HttpServer.body(ctx, WorkerAddressRequest.class);
        String address = registry.dispatch(WorkerRequests.required("model", req.model()));
        HttpServer.json(ctx, new WorkerAddressResponse(address == null ? "" : address));
    }

    private WorkerStatus summedStatus() {
        TreeSet<String> names = new TreeSet<>();
        double speed = 0;
        int queue = 0;
        for (WorkerInfo w : registry.snapshot()) {
            names.addAll(w.modelNames());
            speed += w.speed();
            queue += w.queueLength();
        }
        return new WorkerStatus(List.copyOf(names), speed, queue);
    }

    /** Asks every worker for its status again; the unreachable and the invalid are dropped. */
    private void refresh(Context ctx) throws InterruptedException {
        Map<String, Boolean> names = registry.names();
        forEachWorker(new ArrayList<>(names.keySet()), name -> {
            try {
                WorkerStatus s = fetchStatus(name);
                registry.register(name, s.modelNames(), s.speed(), s.queueLength(),
                        names.get(name));
            } catch (ProtocolException e) {
                log.warn("refresh: {}", e.getMessage());
                registry.remove(name, "unreachable");
            }
            return null;
        });
        HttpServer.json(ctx, null);
    }

    private void kill(Context ctx) throws InterruptedException {
        KillRequest req = HttpServer.body(ctx, KillRequest.class);
        boolean all = Boolean.TRUE.equals(req.all());
        int chosen = (req.workerName() != null ? 1 : 0) + (req.model() != null ? 1 : 0)
                + (all ? 1 : 0);
        if (chosen != 1) {
            throw ProtocolException.invalid(
                    "give exactly one of 'worker_name', 'model' or 'all': true");
        }
        if (req.timeout() != null && !(req.timeout() >= 0)) {
            throw ProtocolException.invalid(
                    "field 'timeout' must not be negative, got " + req.timeout());
        }
        List<String> killed;
        String what;
        if (req.workerName() != null) {
            what = "worker " + req.workerName();
            killed = registry.remove(req.workerName(), "killed")
                    ? List.of(req.workerName()) : List.of();
        } else if (req.model() != null) {
            what = "worker serving model " + req.model();
            killed = registry.removeServing(req.model(), "killed");
        } else {
            what = "worker";
            killed = registry.removeAll("killed");
        }
        if (killed.isEmpty()) {
            throw new HttpError(404, ErrorCode.INVALID_MODEL, "no " + what + " is registered");
        }
        ShutdownRequest shutdown = new ShutdownRequest(req.force(), req.timeout());
        List<String> unreachable = Collections.synchronizedList(new ArrayList<>());
        forEachWorker(killed, name -> {
            try {
                workers.get().shutdown(name, shutdown);
            } catch (ClientException e) {
                log.warn("kill: cannot tell worker {} to shut down: {}", name, e.getMessage());
                unreachable.add(name);
            }
            return null;
        });
        List<String> sorted = new ArrayList<>(unreachable);
        Collections.sort(sorted);
        HttpServer.json(ctx, new KillResponse(killed, sorted));
    }

    /** Runs {@code call} for each name, at most {@link #FAN_OUT} at a time, and waits for all. */
    private static void forEachWorker(List<String> names,
            java.util.function.Function<String, Void> call) throws InterruptedException {
        if (names.isEmpty()) {
            return;
        }
        ExecutorService pool = Executors.newFixedThreadPool(Math.min(FAN_OUT, names.size()));
        try {
            List<Future<Void>> futures = new ArrayList<>();
            for (String name : names) {
                futures.add(pool.submit(() -> call.apply(name)));
            }
            for (Future<Void> f : futures) {
                try {
                    f.get();
                } catch (java.util.concurrent.ExecutionException e) {
                    log.error("worker call failed", e.getCause());
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /** Counts every error answer by its FastChat code (the body says which). */
    private void countError(Context ctx) {
        if (ctx.statusCode() < 400) {
            return;
        }
        ErrorCode code = ctx.statusCode() >= 500 ? ErrorCode.INTERNAL : ErrorCode.VALIDATION;
        try {
            String body = ctx.result();
            JsonNode node = body == null ? null : Json.mapper().readTree(body);
            if (node != null && node.has("error_code")) {
                code = ErrorCode.of(node.get("error_code").asInt()).orElse(code);
            }
        } catch (java.io.IOException | RuntimeException e) {
            // Not our JSON error object: keep the code guessed from the status.
        }
        metrics.error(code);
    }
}
