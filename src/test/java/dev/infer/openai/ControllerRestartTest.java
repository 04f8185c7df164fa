package dev.infer.openai;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.infer.controller.ControllerServer;
import dev.infer.engine.ModelOptions;
import dev.infer.engine.Models;
import dev.infer.protocol.Json;
import dev.infer.testing.Await;
import dev.infer.testing.SharedModels;
import dev.infer.worker.WorkerOptions;
import dev.infer.worker.WorkerServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * A controller restarted while requests come in: meanwhile requests are answered (from the API's
 * cached address) or fail with a clear 503, never hang; afterwards every worker is back within
 * one heartbeat interval.
 */
class ControllerRestartTest {
    private static final Duration HEARTBEAT = Duration.ofMillis(500);
    private static final String CHAT = "{\"model\":\"tiny\",\"max_tokens\":2,\"messages\":"
            + "[{\"role\":\"user\",\"content\":\"hi\"}]}";
    private final HttpClient http = HttpClient.newHttpClient();

    private HttpResponse<String> chat(ApiServer api) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(api.baseUrl() + "/v1/chat/completions"))
                .timeout(Duration.ofSeconds(20))
                .POST(HttpRequest.BodyPublishers.ofString(CHAT)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void workers_are_back_within_one_heartbeat_and_requests_meanwhile_never_hang()
            throws Exception {
        var model = Models.load(SharedModels.require(SharedModels.LLAMA_FP16),
                ModelOptions.named("tiny"));
        ControllerServer first = ControllerServer.config().port(0).start();
        int port = first.port();
        WorkerServer worker = WorkerServer.start(model, WorkerOptions.builder().port(0)
                .controllerUrl(first.baseUrl()).heartbeatInterval(HEARTBEAT).build());
        // A cache period of zero: every request asks the controller, the worst case.
        ApiServer api = ApiServer.start(ApiConfig.local(first.baseUrl()).withCacheTtl(
                Duration.ZERO));
        ControllerServer second = null;
        try {
            Await.until(Duration.ofSeconds(20), "registered", () -> first.registry().size() == 1);
            assertEquals(200, chat(api).statusCode());
            first.close();
            for (int i = 0; i < 5; i++) {
                long t0 = System.nanoTime();
                HttpResponse<String> r = chat(api);
                long ms = (System.nanoTime() - t0) / 1_000_000;
                assertEquals(503, r.statusCode(), r.body());
                assertEquals("controller unavailable", Json.mapper().readTree(r.body())
                        .at("/error/message").asText().split(":")[0], r.body());
                assertTrue(ms < 5000, "a request without controller took " + ms + " ms");
            }
            second = ControllerServer.config().port(port).start();
            long restarted = System.nanoTime();
            ControllerServer restartedController = second;
            Await.until(HEARTBEAT.multipliedBy(2).plusSeconds(2), "re-registered",
                    () -> restartedController.registry().size() == 1);
            long ms = (System.nanoTime() - restarted) / 1_000_000;
            // One interval plus a registration's round trip; the await above allows slack for a
            // loaded machine, this says what was measured.
            System.out.println("worker back " + ms + " ms after the controller restarted");
            assertTrue(ms <= HEARTBEAT.toMillis() + 1500, "back after " + ms + " ms");
            assertEquals(200, chat(api).statusCode());
        } finally {
            api.close();
            worker.close();
            if (second != null) {
                second.close();
            }
        }
    }
}
