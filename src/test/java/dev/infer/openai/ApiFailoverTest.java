package dev.infer.openai;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.infer.protocol.ErrorCode;
import dev.infer.protocol.GenerateChunk;
import dev.infer.protocol.Json;
import dev.infer.protocol.Usage;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Workers that die, hang, refuse or break mid-stream, scripted with fake FastChat workers. */
class ApiFailoverTest {
    private static final String CHAT =
            "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]";
    private final HttpClient http = HttpClient.newHttpClient();
    private final List<AutoCloseable> closing = new ArrayList<>();
    private final FakeController controller = track(new FakeController());
    private ApiServer api;

    @AfterEach
    void stop() throws Exception {
        for (int i = closing.size() - 1; i >= 0; i--) {
            closing.get(i).close();
        }
    }

    private <T extends AutoCloseable> T track(T closeable) {
        closing.add(closeable);
        return closeable;
    }

    private void startApi(ApiConfig config) {
        api = track(ApiServer.start(config));
    }

    private void startApi() {
        startApi(ApiConfig.local(controller.url()).withTimeouts(Duration.ofSeconds(10),
                Duration.ofSeconds(10)));
    }

    private static String deadAddress() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return "http://127.0.0.1:" + socket.getLocalPort();
        }
    }

    private HttpResponse<String> chat(String extra) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(api.baseUrl() + "/v1/chat/completions"))
                .POST(HttpRequest.BodyPublishers.ofString(CHAT + extra + "}")).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode error(HttpResponse<String> r, int status) throws Exception {
        assertEquals(status, r.statusCode(), r.body());
        return Json.mapper().readTree(r.body()).get("error");
    }

    private static String content(HttpResponse<String> r) throws Exception {
        assertEquals(200, r.statusCode(), r.body());
        return Json.mapper().readTree(r.body()).at("/choices/0/message/content").asText();
    }

    @Test
    void a_worker_refusing_connections_before_the_first_token_is_replaced_by_another()
            throws Exception {
        FakeWorker good = track(FakeWorker.streaming("from ", "the other"));
        controller.serve("m", deadAddress(), good.address());
        startApi();
        assertEquals("from the other", content(chat("")));
        assertEquals(2, controller.addressCalls.get());
    }

    @Test
    void a_worker_failing_with_a_500_before_the_first_token_is_replaced_by_another()
            throws Exception {
        FakeWorker broken = track(FakeWorker.refusing(500, ErrorCode.INTERNAL,
                "CUDA out of memory"));
        FakeWorker good = track(FakeWorker.streaming("fine"));
        controller.serve("m", broken.address(), good.address());
        startApi();
        assertEquals("fine", content(chat(",\"stream\":false")));
    }

    @Test
    void a_single_dead_worker_is_a_503_saying_what_failed() throws Exception {
        controller.serve("m", deadAddress());
        startApi();
        JsonNode e = error(chat(""), 503);
        assertTrue(e.get("message").asText().contains("connection refused"), e.toString());
    }

    @Test
    void a_full_queue_on_every_worker_is_a_429() throws Exception {
        FakeWorker full1 = track(FakeWorker.refusing(429, ErrorCode.ENGINE_OVERLOADED,
                "queue full (8 waiting)"));
        FakeWorker full2 = track(FakeWorker.refusing(429, ErrorCode.ENGINE_OVERLOADED,
                "queue full (8 waiting)"));
        controller.serve("m", full1.address(), full2.address());
        startApi();
        JsonNode e = error(chat(""), 429);
        assertEquals("engine_overloaded", e.get("code").asText());
        assertTrue(e.get("message").asText().contains("queue full (8 waiting)"), e.toString());
        assertEquals(1, full2.requests.size(), "the second worker was tried");
    }

    @Test
    void a_context_overflow_is_a_400_naming_messages_and_not_retried() throws Exception {
        FakeWorker strict = track(FakeWorker.refusing(400, ErrorCode.CONTEXT_OVERFLOW,
                "prompt has 3008 tokens, context is 2048"));
        FakeWorker other = track(FakeWorker.streaming("unused"));
        controller.serve("m", strict.address(), other.address());
        startApi();
        JsonNode e = error(chat(""), 400);
        assertEquals("messages", e.get("param").asText());
        assertEquals("context_length_exceeded", e.get("code").asText());
        assertEquals(0, other.requests.size(), "a refusal of the request itself is not retried");
    }

    @Test
    void a_worker_that_never_sends_a_first_token_is_a_504() throws Exception {
        FakeWorker stuck = track(new FakeWorker((request, out) -> out.hang()));
        controller.serve("m", stuck.address());
        startApi(ApiConfig.local(controller.url()).withTimeouts(Duration.ofMillis(300),
                Duration.ofSeconds(10)));
        JsonNode e = error(chat(""), 504);
        assertEquals("worker_timeout", e.get("code").asText());
        assertTrue(e.get("message").asText().contains("no first token within 300 ms"),
                e.toString());
    }

    @Test
    void an_error_after_the_first_token_ends_the_stream_with_an_error_event_then_done()
            throws Exception {
        FakeWorker failing = track(new FakeWorker((request, out) -> {
            out.send(new GenerateChunk("Partial", 0, Usage.of(3, 1), null));
            out.send(GenerateChunk.error(ErrorCode.INTERNAL, "ONNX Runtime failed at step 2"));
        }));
        controller.serve("m", failing.address());
        startApi();
        List<String> events = events(chat(",\"stream\":true"));
        assertEquals("[DONE]", events.get(events.size() - 1));
        JsonNode error = Json.mapper().readTree(events.get(events.size() - 2)).get("error");
        assertTrue(error.get("message").asText().contains("ONNX Runtime failed at step 2"),
                error.toString());
        assertTrue(events.stream().anyMatch(e -> e.contains("\"content\":\"Partial\"")),
                events.toString());
    }

    @Test
    void a_worker_silent_mid_stream_ends_the_stream_within_the_idle_timeout() throws Exception {
        FakeWorker stalls = track(new FakeWorker((request, out) -> {
            out.send(new GenerateChunk("Once", 0, Usage.of(3, 1), null));
            out.hang();
        }));
        controller.serve("m", stalls.address());
        startApi(ApiConfig.local(controller.url()).withTimeouts(Duration.ofSeconds(10),
                Duration.ofMillis(300)));
        List<String> events = events(chat(",\"stream\":true"));
        assertEquals("[DONE]", events.get(events.size() - 1));
        JsonNode error = Json.mapper().readTree(events.get(events.size() - 2)).get("error");
        assertEquals("worker_timeout", error.get("code").asText());
    }

    @Test
    void a_stream_that_ends_without_a_finish_reason_is_reported_not_swallowed() throws Exception {
        FakeWorker quits = track(new FakeWorker((request, out) ->
                out.send(new GenerateChunk("Half", 0, Usage.of(3, 1), null))));
        controller.serve("m", quits.address());
        startApi();
        List<String> events = events(chat(",\"stream\":true"));
        assertTrue(events.get(events.size() - 2).contains("without a finish reason"),
                events.toString());
        assertEquals("[DONE]", events.get(events.size() - 1));
    }

    @Test
    void requests_within_the_cache_period_cost_no_controller_call() throws Exception {
        FakeWorker good = track(FakeWorker.streaming("hi"));
        controller.serve("m", good.address());
        startApi(ApiConfig.local(controller.url()).withCacheTtl(Duration.ofMinutes(5)));
        for (int i = 0; i < 3; i++) {
            assertEquals("hi", content(chat("")));
        }
        assertEquals(1, controller.listCalls.get());
        assertEquals(1, controller.addressCalls.get());
    }

    @Test
    void a_client_leaving_mid_stream_abandons_the_worker_stream() throws Exception {
        CountDownLatch clientGone = new CountDownLatch(1);
        CompletableFuture<Integer> sentBeforeBreak = new CompletableFuture<>();
        int chunks = 5_000;
        FakeWorker endless = track(new FakeWorker((request, out) -> {
            StringBuilder text = new StringBuilder("a");
            out.send(new GenerateChunk(text.toString(), 0, Usage.of(1, 1), null));
            clientGone.await(20, TimeUnit.SECONDS);
            int i = 0;
            try {
                for (; i < chunks; i++) {
                    text.append('b');
                    out.send(new GenerateChunk(text.toString(), 0, Usage.of(1, i + 2), null));
                }
                sentBeforeBreak.complete(-1);
            } catch (IOException e) {
                sentBeforeBreak.complete(i);
            }
        }));
        controller.serve("m", endless.address());
        startApi();
        // A raw socket, so that closing it surely closes the connection.
        try (Socket socket = new Socket("127.0.0.1", api.port())) {
            String body = CHAT + ",\"stream\":true}";
            socket.getOutputStream().write(("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n"
                    + "Content-Type: application/json\r\nContent-Length: " + body.length()
                    + "\r\n\r\n" + body).getBytes(StandardCharsets.UTF_8));
            BufferedReader in = new BufferedReader(new InputStreamReader(
                    socket.getInputStream(), StandardCharsets.UTF_8));
            String line;
            while ((line = in.readLine()) != null && !line.contains("\"content\":\"a\"")) {
                continue;
            }
            assertTrue(line != null, "the first token reached the client");
        }
        clientGone.countDown();
        int sent = sentBeforeBreak.get(20, TimeUnit.SECONDS);
        assertTrue(sent >= 0, "the worker wrote all its chunks although nobody was reading");
    }

    /** The {@code data:} payloads of an SSE response, in order. */
    private static List<String> events(HttpResponse<String> r) throws IOException {
        assertEquals(200, r.statusCode(), r.body());
        assertTrue(r.headers().firstValue("content-type").orElse("").startsWith(
                "text/event-stream"));
        List<String> events = new ArrayList<>();
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(
                new java.io.ByteArrayInputStream(r.body().getBytes(StandardCharsets.UTF_8)),
                        StandardCharsets.UTF_8))) {
            String line;
            while ((line = lines.readLine()) != null) {
                if (line.startsWith("data: ")) {
                    events.add(line.substring(6));
                } else {
                    assertEquals("", line, "only data lines and blank separators");
                }
            }
        }
        return events;
    }
}
