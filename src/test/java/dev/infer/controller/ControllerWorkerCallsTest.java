package dev.infer.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.infer.protocol.Json;
import dev.infer.protocol.StreamFrames;
import dev.infer.server.HttpServer;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** What the controller asks of workers: status on registration, the proxied stream, kills. */
class ControllerWorkerCallsTest {
    private final List<AutoCloseable> open = new ArrayList<>();
    private final CountDownLatch secondChunk = new CountDownLatch(1);
    private final BlockingQueue<String> received = new LinkedBlockingQueue<>();

    @AfterEach
    void stop() throws Exception {
        secondChunk.countDown();
        for (AutoCloseable c : open) {
            c.close();
        }
    }

    private ControllerHarness controller() {
        ControllerHarness c = new ControllerHarness();
        open.add(c);
        return c;
    }

    /** A FastChat-shaped worker that records what it is sent and streams two chunks, the second on cue. */
    private HttpServer fakeWorker() {
        HttpServer w = HttpServer.builder("fake-worker").port(0).routes(app -> {
            app.post("/worker_get_status", ctx -> HttpServer.json(ctx, Json.mapper().readTree(
                    "{\"model_names\": [\"fake\"], \"speed\": 2, \"queue_length\": 1}")));
            app.post("/worker_generate_stream", ctx -> {
                received.add(ctx.body());
                OutputStream out = ctx.res().getOutputStream();
                out.write("{\"text\": \"Hel\", \"error_code\": 0}\0".getBytes(StandardCharsets.UTF_8));
                out.flush();
                secondChunk.await(20, TimeUnit.SECONDS);
                out.write(("{\"text\": \"Hello\", \"error_code\": 0, \"usage\": {\"prompt_tokens\": 1, "
                        + "\"completion_tokens\": 2, \"total_tokens\": 3}, \"finish_reason\": \"stop\"}\0")
                        .getBytes(StandardCharsets.UTF_8));
            });
            app.post("/worker_shutdown", ctx -> {
                received.add(ctx.body());
                HttpServer.json(ctx, null);
            });
        }).start();
        open.add(w);
        return w;
    }

    @Test
    void registration_without_status_asks_the_worker_for_it() throws Exception {
        ControllerHarness c = controller();
        HttpServer w = fakeWorker();
        var r = c.post("/register_worker", "{\"worker_name\": \"" + w.baseUrl() + "\", \"check_heart_beat\": true}");
        assertEquals(200, r.statusCode(), r.body());
        var info = c.server.registry().snapshot().get(0);
        assertEquals(List.of("fake"), info.modelNames());
        assertEquals(2.0, info.speed());
        assertEquals(1, info.queueLength());
    }

    @Test
    void registration_without_status_of_an_unreachable_worker_fails_with_its_address() throws Exception {
        ControllerHarness c = controller();
        var r = c.post("/register_worker", "{\"worker_name\": \"http://127.0.0.1:1\", \"check_heart_beat\": true}");
        // The caller's mistake (an address that is no worker), so a 400, not a 5xx.
        assertEquals(400, r.statusCode());
        JsonNode body = Json.mapper().readTree(r.body());
        assertEquals(40001, body.get("error_code").asInt());
        assertTrue(body.get("text").asText().startsWith("cannot fetch the status of worker http://127.0.0.1:1"), r.body());
        assertEquals(0, c.server.registry().size());
    }

    @Test
    void stream_is_passed_through_chunk_by_chunk_as_the_worker_sends_it() throws Exception {
        ControllerHarness c = controller();
        HttpServer w = fakeWorker();
        c.server.registry().register(w.baseUrl(), List.of("fake"), 1, 0, true);
        String request = "{\"model\": \"fake\", \"prompt\": \"Hi\", \"temperature\": 0.7, \"max_new_tokens\": 8, "
                + "\"echo\": false, \"future_param\": [1, 2]}";
        HttpResponse<InputStream> r = c.http().send(HttpRequest.newBuilder(
                URI.create(c.server.baseUrl() + "/worker_generate_stream"))
                .POST(HttpRequest.BodyPublishers.ofString(request)).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(200, r.statusCode());
        try (InputStream in = r.body()) {
            StreamFrames.Reader reader = new StreamFrames.Reader(in, 1 << 20);
            // The worker holds its second chunk back until the first has reached us.
            String first = CompletableFuture.supplyAsync(() -> next(reader)).get(20, TimeUnit.SECONDS);
            assertEquals("{\"text\": \"Hel\", \"error_code\": 0}", first);
            secondChunk.countDown();
            String second = CompletableFuture.supplyAsync(() -> next(reader)).get(20, TimeUnit.SECONDS);
            assertTrue(second.contains("\"finish_reason\": \"stop\""), second);
            assertNull(next(reader));
        }
        JsonNode sent = Json.mapper().readTree(received.poll(5, TimeUnit.SECONDS));
        assertEquals(Json.mapper().readTree(request), sent, "parameters reach the worker unchanged");
        assertEquals(1, c.server.registry().snapshot().get(0).queueLength(), "the request counts against it");
    }

    private static String next(StreamFrames.Reader reader) {
        try {
            return reader.next();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void stream_for_a_model_without_workers_is_exactly_one_error_frame() throws Exception {
        ControllerHarness c = controller();
        var r = c.post("/worker_generate_stream", "{\"model\": \"ghost\", \"prompt\": \"Hi\"}");
        assertEquals(200, r.statusCode());
        String[] frames = r.body().split("\0");
        assertEquals(1, frames.length, r.body());
        assertTrue(r.body().endsWith("\0"));
        JsonNode frame = Json.mapper().readTree(frames[0]);
        assertEquals(50005, frame.get("error_code").asInt());
        assertTrue(frame.get("text").asText().contains("ghost"), frames[0]);
    }

    @Test
    void stream_to_a_dead_worker_is_one_worker_timeout_frame() throws Exception {
        ControllerHarness c = controller();
        c.server.registry().register("http://127.0.0.1:1", List.of("m"), 1, 0, true);
        var r = c.post("/worker_generate_stream", "{\"model\": \"m\", \"prompt\": \"Hi\"}");
        String[] frames = r.body().split("\0");
        assertEquals(1, frames.length, r.body());
        assertEquals(50006, Json.mapper().readTree(frames[0]).get("error_code").asInt());
        // Other requests carry on.
        assertEquals(200, c.post("/list_models", null).statusCode());
    }

    @Test
    void kill_removes_the_worker_at_once_and_tells_it_to_shut_down() throws Exception {
        ControllerHarness c = controller();
        HttpServer w = fakeWorker();
        c.server.registry().register(w.baseUrl(), List.of("fake"), 1, 0, true);
        c.server.registry().register("http://127.0.0.1:1", List.of("fake"), 1, 0, true);
        var r = c.post("/kill_worker", "{\"model\": \"fake\", \"force\": true, \"timeout\": 5}");
        assertEquals(200, r.statusCode(), r.body());
        JsonNode body = Json.mapper().readTree(r.body());
        assertEquals(2, body.get("killed").size());
        assertEquals("[\"http://127.0.0.1:1\"]", body.get("unreachable").toString());
        assertEquals(0, c.server.registry().size());
        assertEquals(Json.mapper().readTree("{\"force\": true, \"timeout\": 5.0}"),
                Json.mapper().readTree(received.poll(5, TimeUnit.SECONDS)));
    }

    @Test
    void kill_that_matches_nothing_is_a_404_invalid_model() throws Exception {
        ControllerHarness c = controller();
        var r = c.post("/kill_worker", "{\"worker_name\": \"http://127.0.0.1:9\"}");
        assertEquals(404, r.statusCode());
        JsonNode body = Json.mapper().readTree(r.body());
        assertEquals(40301, body.get("error_code").asInt());
        assertEquals("no worker http://127.0.0.1:9 is registered", body.get("text").asText());
    }

    @Test
    void refresh_rereads_status_and_drops_unreachable_workers() throws Exception {
        ControllerHarness c = controller();
        HttpServer w = fakeWorker();
        c.server.registry().register(w.baseUrl(), List.of("old"), 1, 9, true);
        c.server.registry().register("http://127.0.0.1:1", List.of("fake"), 1, 0, true);
        var r = c.post("/refresh_all_workers", null);
        assertEquals(200, r.statusCode(), r.body());
        var workers = c.server.registry().snapshot();
        assertEquals(1, workers.size());
        assertEquals(w.baseUrl(), workers.get(0).workerName());
        assertEquals(List.of("fake"), workers.get(0).modelNames());
        assertEquals(1, workers.get(0).queueLength());
    }

    @Test
    void reaper_thread_drops_a_worker_once_the_clock_passes_the_expiration() {
        ControllerHarness c = new ControllerHarness();
        open.add(c);
        // A short expiration so that the real reaper thread passes often; the clock drives expiry.
        ControllerServer s = ControllerServer.config().port(0).clock(c.clock)
                .heartbeatExpiration(Duration.ofMillis(200)).start();
        open.add(s);
        s.registry().register("http://a:1", List.of("m"), 1, 0, true);
        c.clock.advance(Duration.ofMillis(201));
        dev.infer.testing.Await.until(Duration.ofSeconds(10), "the reaper to drop the worker",
                () -> s.registry().size() == 0);
    }
}
