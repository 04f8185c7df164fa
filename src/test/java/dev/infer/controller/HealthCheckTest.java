package dev.infer.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.infer.protocol.Json;
import dev.infer.protocol.StreamFrames;
import dev.infer.server.HttpServer;
import dev.infer.testing.Await;
import dev.infer.testing.HangingServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A worker that accepts connections but never answers: health check, dispatch, timeouts. */
class HealthCheckTest {
    private static final String STATUS =
            "{\"model_names\":[\"m\"],\"speed\":1,\"queue_length\":0}";
    private final HttpClient http = HttpClient.newHttpClient();
    private HangingServer hung;
    private HttpServer good;
    private ControllerServer controller;

    @AfterEach
    void stop() throws Exception {
        if (controller != null) {
            controller.close();
        }
        if (good != null) {
            good.close();
        }
        if (hung != null) {
            hung.close();
        }
    }

    private void start(Duration interval) throws Exception {
        hung = new HangingServer();
        good = HttpServer.builder("status-only worker").port(0).routes(app ->
                app.post("/worker_get_status", ctx -> ctx.contentType("application/json")
                        .result(STATUS))).start();
        controller = ControllerServer.config().port(0).healthCheckInterval(interval)
                .healthCheckTimeout(Duration.ofMillis(300)).workerTimeout(Duration.ofMillis(500))
                .policy(new DispatchPolicy.RoundRobin()).start();
        register(hung.address());
        register(good.baseUrl());
    }

    private void register(String name) throws Exception {
        assertEquals(200, post("/register_worker", "{\"worker_name\":\"" + name
                + "\",\"check_heart_beat\":true,\"worker_status\":" + STATUS + "}").statusCode());
    }

    private HttpResponse<String> post(String path, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(controller.baseUrl() + path))
                .timeout(Duration.ofSeconds(10))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private String state(String name) throws Exception {
        for (JsonNode w : Json.mapper().readTree(post("/list_workers", "").body())
                .get("workers")) {
            if (w.get("worker_name").asText().equals(name)) {
                return w.get("state").asText();
            }
        }
        return "absent";
    }

    private Set<String> dispatched(int times) throws Exception {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < times; i++) {
            seen.add(Json.mapper().readTree(post("/get_worker_address", "{\"model\":\"m\"}")
                    .body()).get("address").asText());
        }
        return seen;
    }

    @Test
    void a_hung_worker_is_marked_unhealthy_and_skipped_by_dispatch() throws Exception {
        start(Duration.ZERO);
        assertEquals(Set.of(hung.address(), good.baseUrl()), dispatched(4));
        controller.checkHealthNow();
        assertEquals("unhealthy", state(hung.address()));
        assertEquals("healthy", state(good.baseUrl()));
        assertEquals(Set.of(good.baseUrl()), dispatched(6));
        // Still listed as a model, so a request for it is a "no worker" error, not "unknown".
        assertTrue(post("/list_models", "").body().contains("\"m\""));
    }

    @Test
    void a_hung_worker_that_answers_again_is_dispatched_to_again() throws Exception {
        start(Duration.ZERO);
        controller.checkHealthNow();
        assertEquals("unhealthy", state(hung.address()));
        hung.answer(STATUS);
        controller.checkHealthNow();
        assertEquals("healthy", state(hung.address()));
        assertEquals(Set.of(hung.address(), good.baseUrl()), dispatched(4));
    }

    @Test
    void the_periodic_check_finds_the_hung_worker_by_itself() throws Exception {
        start(Duration.ofMillis(100));
        Await.until(Duration.ofSeconds(10), "the hung worker marked unhealthy",
                () -> {
                    try {
                        return state(hung.address()).equals("unhealthy");
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                });
        assertEquals("healthy", state(good.baseUrl()));
    }

    @Test
    void the_stream_proxy_gives_up_on_a_hung_worker_within_its_timeout() throws Exception {
        hung = new HangingServer();
        controller = ControllerServer.config().port(0).healthCheckInterval(Duration.ZERO)
                .workerTimeout(Duration.ofMillis(500)).start();
        register(hung.address());
        long started = System.nanoTime();
        HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(
                URI.create(controller.baseUrl() + "/worker_generate_stream"))
                .timeout(Duration.ofSeconds(10))
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"m\",\"prompt\":\"x\"}"))
                .build(), HttpResponse.BodyHandlers.ofByteArray());
        long millis = (System.nanoTime() - started) / 1_000_000;
        assertTrue(millis < 5000, "answered after " + millis + " ms");
        String frame = new String(r.body(), java.nio.charset.StandardCharsets.UTF_8)
                .replace(String.valueOf((char) StreamFrames.DELIMITER), "");
        JsonNode chunk = Json.mapper().readTree(frame);
        assertEquals(50006, chunk.get("error_code").asInt(), frame);
    }

    @Test
    void with_every_worker_unhealthy_a_request_is_a_no_worker_error() throws Exception {
        hung = new HangingServer();
        controller = ControllerServer.config().port(0).healthCheckInterval(Duration.ZERO)
                .healthCheckTimeout(Duration.ofMillis(200)).start();
        register(hung.address());
        controller.checkHealthNow();
        assertEquals("", Json.mapper().readTree(post("/get_worker_address",
                "{\"model\":\"m\"}").body()).get("address").asText());
        HttpResponse<String> r = post("/worker_generate_stream", "{\"model\":\"m\",\"prompt\":\"x\"}");
        assertTrue(r.body().contains("50005"), r.body());
    }

    @Test
    void the_stream_proxy_sends_a_request_a_dead_worker_refused_to_another() throws Exception {
        String dead;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            dead = "http://127.0.0.1:" + s.getLocalPort();
        }
        good = HttpServer.builder("streaming worker").port(0).routes(app ->
                app.post("/worker_generate_stream", ctx -> ctx.result("{\"text\":\"ok\","
                        + "\"error_code\":0,\"finish_reason\":\"stop\"}\0"))).start();
        controller = ControllerServer.config().port(0).healthCheckInterval(Duration.ZERO)
                .policy(new DispatchPolicy.RoundRobin()).start();
        register(dead);
        register(good.baseUrl());
        for (int i = 0; i < 3; i++) {
            HttpResponse<String> r = post("/worker_generate_stream",
                    "{\"model\":\"m\",\"prompt\":\"x\"}");
            assertTrue(r.body().contains("\"text\":\"ok\""), r.body());
        }
        assertEquals("unhealthy", state(dead));
    }
}
