package dev.infer.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.infer.protocol.Json;
import dev.infer.server.HttpServer;
import dev.infer.testing.FuzzRunner;
import dev.infer.testing.HostileInput;
import dev.infer.testing.HostileInput.Template;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * 10,000 generated malformed or extreme requests against a controller (seed from
 * {@code -Dinfer.fuzz.seed}, default 7; a failure names the request's index, which reproduces it
 * alone): no 5xx, no stack trace, every answer in time, and correct answers afterwards.
 */
class ControllerFuzzTest {
    static final long SEED = Long.getLong("infer.fuzz.seed", 7);
    private static final String STATUS =
            "{\"model_names\":[\"m\"],\"speed\":1,\"queue_length\":0}";
    private static final List<Template> TEMPLATES = List.of(
            new Template("/register_worker", "{\"worker_name\":\"http://127.0.0.1:9\","
                    + "\"check_heart_beat\":true,\"worker_status\":" + STATUS + "}"),
            new Template("/receive_heart_beat",
                    "{\"worker_name\":\"http://127.0.0.1:9\",\"queue_length\":0}"),
            new Template("/get_worker_address", "{\"model\":\"m\"}"),
            new Template("/worker_generate_stream", "{\"model\":\"m\",\"prompt\":\"hi\","
                    + "\"max_new_tokens\":1,\"temperature\":0.5,\"stop\":[\"x\"]}"),
            new Template("/kill_worker", "{\"worker_name\":\"http://127.0.0.1:9\","
                    + "\"force\":true,\"timeout\":0}"),
            new Template("/list_workers", "{\"verbose\":true}"),
            new Template("/list_models", "{\"a\":[1]}"));

    @Test
    void ten_thousand_hostile_requests_get_no_5xx_no_trace_and_leave_it_serving()
            throws Exception {
        System.setProperty("infer.http.body-timeout-ms", "3000");
        ControllerServer controller = ControllerServer.config().port(0)
                .healthCheckTimeout(Duration.ofMillis(300)).start();
        HttpServer real = HttpServer.builder("status-only worker").port(0).routes(app ->
                app.post("/worker_get_status", ctx -> ctx.contentType("application/json")
                        .result(STATUS.replace("\"m\"", "\"real\"")))).start();
        try {
            FuzzRunner fuzz = new FuzzRunner(controller.baseUrl(), Map.of(),
                    Duration.ofSeconds(20));
            long t0 = System.nanoTime();
            fuzz.run(new HostileInput(SEED, TEMPLATES, 256 * 1024), 10_000, 16);
            System.out.println("controller fuzz: 10000 requests in "
                    + (System.nanoTime() - t0) / 1_000_000 + " ms");
            fuzz.declaredHugeBody("/register_worker", 1L << 40);
            fuzz.chunkedOversizedBody("/register_worker", ControllerServer.MAX_REQUEST_BYTES);
            List<CompletableFuture<Void>> lorises = new java.util.ArrayList<>();
            for (int i = 0; i < 6; i++) {
                lorises.add(CompletableFuture.runAsync(() -> {
                    try {
                        fuzz.slowLorisBody("/register_worker", Duration.ofSeconds(8));
                    } catch (java.io.IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                }));
            }
            // While the slow clients trickle, the controller still answers others.
            var http = java.net.http.HttpClient.newHttpClient();
            var register = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(
                    controller.baseUrl() + "/register_worker")).timeout(Duration.ofSeconds(5))
                    .POST(java.net.http.HttpRequest.BodyPublishers.ofString(
                            "{\"worker_name\":\"" + real.baseUrl() + "\"}")).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            assertEquals(200, register.statusCode(), register.body());
            CompletableFuture.allOf(lorises.toArray(CompletableFuture[]::new))
                    .get(60, TimeUnit.SECONDS);
            assertTrue(fuzz.violations().isEmpty(), fuzz.violationCount() + " violations (seed "
                    + SEED + "), statuses " + fuzz.statuses() + ":\n"
                    + String.join("\n", fuzz.violations()));
            var address = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(
                    controller.baseUrl() + "/get_worker_address")).POST(
                            java.net.http.HttpRequest.BodyPublishers.ofString(
                                    "{\"model\":\"real\"}")).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            assertEquals(real.baseUrl(), Json.mapper().readTree(address.body()).get("address")
                    .asText());
            assertEquals(null, controller.registry().checkInvariants());
            System.out.println("controller fuzz statuses: " + fuzz.statuses());
        } finally {
            System.clearProperty("infer.http.body-timeout-ms");
            real.close();
            controller.close();
        }
    }
}
