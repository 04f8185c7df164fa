package dev.infer.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.infer.protocol.HeartbeatRequest;
import dev.infer.protocol.HeartbeatResponse;
import dev.infer.protocol.KillRequest;
import dev.infer.protocol.KillResponse;
import dev.infer.protocol.RegisterWorkerRequest;
import dev.infer.server.HttpServer;
import dev.infer.testing.Await;
import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Registration and heartbeats against a small fake controller that records what it receives and
 * can forget the worker (as a restarted controller does). Real HTTP both ways.
 */
class WorkerRegistrationTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private final ScriptedModel model = new ScriptedModel();
    private final List<RegisterWorkerRequest> registrations = new CopyOnWriteArrayList<>();
    private final List<HeartbeatRequest> heartbeats = new CopyOnWriteArrayList<>();
    private final List<String> authHeaders = new CopyOnWriteArrayList<>();
    private final List<KillRequest> kills = new CopyOnWriteArrayList<>();
    private final AtomicBoolean forget = new AtomicBoolean();
    private HttpServer controller;
    private WorkerServer worker;

    @AfterEach
    void stop() {
        if (worker != null) {
            worker.close();
        }
        if (controller != null) {
            controller.close();
        }
    }

    private HttpServer startController(int port, String token) {
        controller = HttpServer.builder("fake controller").port(port).token(token).routes(app -> {
            app.post("/register_worker", ctx -> {
                authHeaders.add(String.valueOf(ctx.header("Authorization")));
                registrations.add(HttpServer.body(ctx, RegisterWorkerRequest.class));
                forget.set(false);
                ctx.result("null");
            });
            app.post("/kill_worker", ctx -> {
                KillRequest k = HttpServer.body(ctx, KillRequest.class);
                kills.add(k);
                HttpServer.json(ctx, new KillResponse(List.of(k.workerName()), List.of()));
            });
            app.post("/receive_heart_beat", ctx -> {
                heartbeats.add(HttpServer.body(ctx, HeartbeatRequest.class));
                HttpServer.json(ctx, new HeartbeatResponse(!forget.get()));
            });
        }).start();
        return controller;
    }

    private WorkerOptions.Builder options(String controllerUrl) {
        return WorkerOptions.builder().port(0).controllerUrl(controllerUrl)
                .heartbeatInterval(Duration.ofMillis(100)).registerRetryMax(Duration.ofMillis(200));
    }

    @Test
    void worker_registers_its_bound_address_and_status_then_heartbeats() {
        startController(0, null);
        worker = WorkerServer.start(model, options(controller.baseUrl()).build());
        Await.until(WAIT, "a registration", () -> registrations.size() == 1);
        RegisterWorkerRequest r = registrations.get(0);
        assertEquals(worker.address(), r.workerName());
        assertEquals("http://127.0.0.1:" + worker.port(), r.workerName());
        assertEquals(List.of("scripted"), r.workerStatus().modelNames());
        assertEquals(0, r.workerStatus().queueLength());
        assertTrue(r.checkHeartBeat());
        Await.until(WAIT, "two heartbeats", () -> heartbeats.size() >= 2);
        assertEquals(worker.address(), heartbeats.get(0).workerName());
        assertEquals(1, registrations.size(), "a known worker must not register again");
    }

    @Test
    void worker_started_before_its_controller_keeps_trying_until_it_registers() throws IOException {
        int port;
        try (ServerSocket probe = new ServerSocket(0)) {
            port = probe.getLocalPort();
        }
        worker = WorkerServer.start(model, options("http://127.0.0.1:" + port).build());
        assertTrue(registrations.isEmpty());
        startController(port, null);
        Await.until(
                WAIT, "a registration once the controller is up", () -> registrations.size() == 1);
    }

    @Test
    void worker_registers_again_when_a_heartbeat_answers_exist_false() {
        startController(0, null);
        worker = WorkerServer.start(model, options(controller.baseUrl()).build());
        Await.until(WAIT, "a first registration", () -> registrations.size() == 1);
        forget.set(true);
        Await.until(WAIT, "a second registration", () -> registrations.size() == 2);
    }

    @Test
    void worker_sends_its_token_to_the_controller_and_stops_heartbeating_when_shut_down()
            throws Exception {
        startController(0, "s3cret");
        worker = WorkerServer.start(model, options(controller.baseUrl()).token("s3cret").build());
        Await.until(WAIT, "a heartbeat", () -> heartbeats.size() >= 1);
        assertEquals("Bearer s3cret", authHeaders.get(0));
        worker.shutdown(Duration.ZERO).get();
        // The registrar's thread is the only one that heart-beats; shutdown waits for it to end.
        boolean registrarAlive = Thread.getAllStackTraces().keySet().stream()
                .anyMatch(t -> t.getName().equals("worker-registrar") && t.isAlive());
        assertTrue(!registrarAlive, "heartbeats must stop when the worker shuts down");
    }

    @Test
    void worker_asks_the_controller_to_drop_it_when_it_shuts_down() throws Exception {
        startController(0, null);
        worker = WorkerServer.start(model, options(controller.baseUrl()).build());
        Await.until(WAIT, "a registration", () -> registrations.size() == 1);
        worker.shutdown(Duration.ZERO).get();
        assertEquals(1, kills.size());
        assertEquals(worker.address(), kills.get(0).workerName());
    }
}
