package dev.infer.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.sun.net.httpserver.HttpServer;
import dev.infer.protocol.ChatMessage;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The OpenAI backend against a fake server that scripts what a real one would rarely do: until
 * {@code infer api} is merged, this is also where the SSE parsing is checked.
 */
class OpenAiBackendTest {
    private HttpServer server;
    private final List<String> auth = new CopyOnWriteArrayList<>();
    private volatile String stream;

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/v1/models", ex -> {
            auth.add(String.valueOf(ex.getRequestHeaders().getFirst("Authorization")));
            if (!"Bearer k".equals(ex.getRequestHeaders().getFirst("Authorization"))) {
                send(ex, 401, "{\"error\":{\"message\":\"Incorrect API key provided\",\"type\":\"invalid_request_error\"}}");
                return;
            }
            send(ex, 200, "{\"object\":\"list\",\"data\":[{\"id\":\"m1\",\"object\":\"model\",\"owned_by\":\"infer\"}]}");
        });
        server.createContext("/v1/chat/completions", ex -> send(ex, 200, stream));
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private static void send(com.sun.net.httpserver.HttpExchange ex, int status, String body) throws IOException {
        ex.getRequestBody().readAllBytes();
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }

    private OpenAiBackend backend(String key) {
        return new OpenAiBackend("http://127.0.0.1:" + server.getAddress().getPort(), key, Duration.ofSeconds(5));
    }

    private static String chunk(String content, String finish) {
        return "data: {\"model\":\"m1\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"" + content
                + "\"},\"finish_reason\":" + (finish == null ? "null" : "\"" + finish + "\"") + "}]}\n\n";
    }

    @Test
    void sse_deltas_and_the_usage_chunk_make_the_answer() {
        stream = ": keep-alive\n\n" + chunk("Hel", null) + chunk("lo", "stop")
                + "data: {\"model\":\"m1\",\"choices\":[],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":2}}\n\n"
                + "data: [DONE]\n\n";
        List<String> deltas = new ArrayList<>();
        Answer a = backend("k").chat("m1", List.of(new ChatMessage("user", "hi")), ChatSettings.defaults(), deltas::add);
        assertEquals(List.of("Hel", "lo"), deltas);
        assertEquals(new Answer("Hello", "m1", "stop", 5, 2), a);
        assertEquals(List.of(), auth, "chat alone asks no model list");
    }

    @Test
    void a_wrong_key_is_reported_with_the_servers_reason() {
        ChatException e = assertThrows(ChatException.class, () -> backend("wrong").models());
        assertEquals("no OpenAI-compatible API at http://127.0.0.1:" + server.getAddress().getPort()
                + "/v1 (Incorrect API key provided)", e.getMessage());
    }

    @Test
    void an_error_event_mid_stream_fails_the_answer_with_its_message() {
        stream = chunk("Hel", null) + "data: {\"error\":{\"message\":\"worker died after 1 token\"}}\n\n";
        ChatException e = assertThrows(ChatException.class, () -> backend("k").chat("m1",
                List.of(new ChatMessage("user", "hi")), ChatSettings.defaults(), d -> { }));
        assertEquals("http://127.0.0.1:" + server.getAddress().getPort()
                + "/v1/chat/completions: worker died after 1 token", e.getMessage());
    }

    @Test
    void a_stream_cut_before_the_finish_reason_is_an_error_not_an_answer() {
        stream = chunk("Hel", null);
        ChatException e = assertThrows(ChatException.class, () -> backend("k").chat("m1",
                List.of(new ChatMessage("user", "hi")), ChatSettings.defaults(), d -> { }));
        assertEquals("http://127.0.0.1:" + server.getAddress().getPort()
                + "/v1/chat/completions: the stream ended without a finish reason", e.getMessage());
    }
}
