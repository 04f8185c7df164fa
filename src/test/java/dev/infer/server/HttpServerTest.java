package dev.infer.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.infer.metrics.Metrics;
import dev.infer.protocol.ErrorCode;
import dev.infer.protocol.WorkerAddressRequest;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class HttpServerTest {
    private final HttpClient http = HttpClient.newHttpClient();
    private HttpServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private HttpServer start(String token) {
        Metrics metrics = new Metrics();
        var hits = metrics.counter("infer_test_hits_total", "Hits.");
        server = HttpServer.builder("test").port(0).token(token).metrics(metrics).routes(app -> {
            app.post("/echo", ctx -> {
                hits.inc();
                HttpServer.json(ctx, HttpServer.body(ctx, WorkerAddressRequest.class));
            });
            app.post("/boom", ctx -> {
                throw new IllegalStateException("secret internals");
            });
        }).start();
        return server;
    }

    private HttpResponse<String> post(String path, String body, String auth) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(server.baseUrl() + path))
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (auth != null) {
            b.header("Authorization", auth);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void health_answers_without_a_token_and_metrics_need_one() throws Exception {
        start("s3cret");
        var health = http.send(HttpRequest.newBuilder(URI.create(server.baseUrl() + "/health")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, health.statusCode());
        var metrics = http.send(HttpRequest.newBuilder(URI.create(server.baseUrl() + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(401, metrics.statusCode());
    }

    @Test
    void wrong_token_is_refused_and_right_token_accepted() throws Exception {
        start("s3cret");
        assertEquals(401, post("/echo", "{\"model\":\"m\"}", "Bearer nope").statusCode());
        var ok = post("/echo", "{\"model\":\"m\"}", "Bearer s3cret");
        assertEquals(200, ok.statusCode());
        assertEquals("{\"model\":\"m\"}", ok.body());
    }

    @Test
    void malformed_body_is_a_400_with_fastchat_error_object() throws Exception {
        start(null);
        var r = post("/echo", "{nope", null);
        assertEquals(400, r.statusCode());
        assertTrue(r.body().contains("\"error_code\":" + ErrorCode.VALIDATION.code()), r.body());
        assertTrue(r.body().contains("malformed JSON"), r.body());
    }

    @Test
    void unexpected_failure_is_a_500_without_internals() throws Exception {
        start(null);
        var r = post("/boom", "{}", null);
        assertEquals(500, r.statusCode());
        assertFalse(r.body().contains("secret internals"), r.body());
        assertFalse(r.body().contains("at dev.infer"), r.body());
    }

    @Test
    void unknown_path_is_a_404_json_error() throws Exception {
        start(null);
        var r = post("/nowhere", "{}", null);
        assertEquals(404, r.statusCode());
        assertTrue(r.body().contains("no endpoint POST /nowhere"), r.body());
    }

    @Test
    void metrics_render_in_prometheus_text_format() throws Exception {
        start(null);
        post("/echo", "{\"model\":\"m\"}", null);
        var r = http.send(HttpRequest.newBuilder(URI.create(server.baseUrl() + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertTrue(r.body().contains("infer_test_hits_total 1.0"), r.body());
    }
}
