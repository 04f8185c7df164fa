package dev.infer.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.infer.protocol.Json;
import dev.infer.testing.Await;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Admission, disconnects and drain, with generations held at a known point by {@link ScriptedModel}
 * (the real engine finishes too fast to hold a slot on command). Real HTTP on loopback.
 */
class WorkerAdmissionTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private final HttpClient http = HttpClient.newHttpClient();
    private final ScriptedModel model = new ScriptedModel();
    private WorkerServer worker;

    @AfterEach
    void stop() {
        model.release(10_000);
        if (worker != null) {
            worker.close();
        }
    }

    private void start(int limit, int queue) {
        worker = WorkerServer.start(model, WorkerOptions.builder().port(0).register(false)
                .limitConcurrency(limit).maxQueue(queue).keepAlive(Duration.ofMillis(50)).build());
    }

    private HttpRequest post(String path, String body) {
        return HttpRequest.newBuilder(URI.create(worker.address() + path))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
    }

    private CompletableFuture<HttpResponse<String>> stream(int maxNewTokens) {
        return http.sendAsync(post("/worker_generate_stream",
                "{\"prompt\": \"hello there\", \"max_new_tokens\": " + maxNewTokens + "}"),
                HttpResponse.BodyHandlers.ofString());
    }

    private int queueLength() throws Exception {
        String body =
                http.send(post("/worker_get_status", ""), HttpResponse.BodyHandlers.ofString())
                        .body();
        return Json.mapper().readTree(body).get("queue_length").asInt();
    }

    private static JsonNode lastFrame(String body) throws Exception {
        List<String> frames = List.of(body.split("\0")).stream().filter(f -> !f.isEmpty()).toList();
        return Json.mapper().readTree(frames.get(frames.size() - 1));
    }

    @Test
    void a_full_queue_answers_42903_at_once_and_queue_length_counts_running_and_waiting()
            throws Exception {
        start(1, 1);
        var running = stream(2);
        var waiting = stream(2);
        Await.until(WAIT, "one running and one waiting", () -> queueLengthQuietly() == 2);
        assertEquals(1, model.started.get(), "only one generation may run at once");

        HttpResponse<String> refused =
                http.send(
                        post(
                                "/worker_generate_stream",
                                "{\"prompt\": \"hi\", \"max_new_tokens\": 2}"),
                        HttpResponse.BodyHandlers.ofString());
        assertEquals(429, refused.statusCode());
        assertEquals(42903, Json.mapper().readTree(refused.body()).get("error_code").asInt());

        model.release(4);
        assertEquals(
                "length",
                lastFrame(running.get(10, TimeUnit.SECONDS).body()).get("finish_reason").asText());
        assertEquals(
                "w0 w1", lastFrame(waiting.get(10, TimeUnit.SECONDS).body()).get("text").asText());
        Await.until(WAIT, "an empty queue", () -> queueLengthQuietly() == 0);
    }

    @Test
    void a_client_that_disconnects_mid_stream_cancels_its_generation_and_frees_the_slot()
            throws Exception {
        start(1, 0);
        try (Socket socket = new Socket("127.0.0.1", worker.port())) {
            byte[] body =
                    "{\"prompt\": \"hello\", \"max_new_tokens\": 50}"
                            .getBytes(StandardCharsets.UTF_8);
            OutputStream out = socket.getOutputStream();
            out.write(
                    ("POST /worker_generate_stream HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                    + "Content-Type: application/json\r\nContent-Length: "
                                    + body.length
                                    + "\r\n\r\n")
                            .getBytes(StandardCharsets.US_ASCII));
            out.write(body);
            out.flush();
            model.release(1);
            InputStream in = socket.getInputStream();
            String seen = "";
            while (!seen.contains("\"w0\"")) {
                byte[] chunk = new byte[256];
                int n = in.read(chunk);
                assertTrue(n > 0, "stream ended early: " + seen);
                seen += new String(chunk, 0, n, StandardCharsets.UTF_8);
            }
        }
        Await.until(WAIT, "the generation to be cancelled", () -> model.cancelled.get() == 1);
        Await.until(WAIT, "the slot to be free", () -> queueLengthQuietly() == 0);

        var next = stream(1);
        model.release(1);
        assertEquals(200, next.get(10, TimeUnit.SECONDS).statusCode());
        assertEquals("w0", lastFrame(next.get().body()).get("text").asText());
    }

    @Test
    void shutdown_refuses_new_work_and_lets_in_flight_requests_finish() throws Exception {
        start(2, 2);
        var inFlight = stream(3);
        Await.until(WAIT, "the request to start", () -> model.started.get() == 1);

        CompletableFuture<Void> stopped = worker.shutdown(Duration.ofSeconds(30));
        Await.until(WAIT, "new work to be refused", () -> statusOfNewRequest() == 503);

        model.release(3);
        JsonNode last = lastFrame(inFlight.get(10, TimeUnit.SECONDS).body());
        assertEquals("w0 w1 w2", last.get("text").asText());
        assertEquals("length", last.get("finish_reason").asText());
        stopped.get(10, TimeUnit.SECONDS);
        assertTrue(model.closed.await(1, TimeUnit.SECONDS), "the model must be closed");
        assertEquals(0, model.cancelled.get());
    }

    @Test
    void requests_still_running_at_the_drain_timeout_end_with_an_error_frame() throws Exception {
        start(2, 2);
        var inFlight = stream(5);
        model.release(1);
        Await.until(WAIT, "the request to start", () -> model.started.get() == 1);

        worker.shutdown(Duration.ofMillis(100)).get(10, TimeUnit.SECONDS);
        HttpResponse<String> response = inFlight.get(10, TimeUnit.SECONDS);
        JsonNode last = lastFrame(response.body());
        assertEquals(50001, last.get("error_code").asInt(), response.body());
        assertTrue(last.get("text").asText().contains("shutting down"), response.body());
        assertEquals(1, model.cancelled.get());
    }

    @Test
    void worker_shutdown_endpoint_answers_then_stops_the_worker() throws Exception {
        start(1, 1);
        HttpResponse<String> r = http.send(post("/worker_shutdown", "{\"timeout\": 5}"),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        assertEquals("draining", Json.mapper().readTree(r.body()).get("status").asText());
        worker.terminated().get(10, TimeUnit.SECONDS);
        assertTrue(model.closed.await(1, TimeUnit.SECONDS));
    }

    @Test
    void worker_shutdown_refuses_a_negative_timeout() throws Exception {
        start(1, 1);
        HttpResponse<String> r = http.send(post("/worker_shutdown", "{\"timeout\": -1}"),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(400, r.statusCode());
        assertEquals(40302, Json.mapper().readTree(r.body()).get("error_code").asInt());
        assertTrue(!worker.terminated().isDone());
    }

    @Test
    void with_a_token_every_endpoint_but_health_requires_it() throws Exception {
        worker = WorkerServer.start(model, WorkerOptions.builder().port(0).register(false)
                .token("s3cret").build());
        assertEquals(
                401,
                http.send(post("/worker_get_status", ""), HttpResponse.BodyHandlers.ofString())
                        .statusCode());
        assertEquals(
                200,
                http.send(
                                HttpRequest.newBuilder(URI.create(worker.address() + "/health"))
                                        .build(),
                                HttpResponse.BodyHandlers.ofString())
                        .statusCode());
        HttpResponse<String> ok =
                http.send(
                        HttpRequest.newBuilder(URI.create(worker.address() + "/worker_get_status"))
                                .header("Authorization", "Bearer s3cret")
                                .POST(HttpRequest.BodyPublishers.noBody())
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        assertEquals(200, ok.statusCode());
        assertEquals(
                "scripted", Json.mapper().readTree(ok.body()).get("model_names").get(0).asText());
    }

    private int queueLengthQuietly() {
        try {
            return queueLength();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private int statusOfNewRequest() {
        try {
            return http.send(
                            post("/worker_generate", "{\"prompt\": \"hi\", \"max_new_tokens\": 1}"),
                            HttpResponse.BodyHandlers.ofString())
                    .statusCode();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
