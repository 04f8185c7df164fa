package dev.infer.openai;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.infer.controller.ControllerServer;
import dev.infer.engine.ModelOptions;
import dev.infer.engine.Models;
import dev.infer.protocol.Json;
import dev.infer.server.HttpServer;
import dev.infer.testing.Await;
import dev.infer.testing.FuzzRunner;
import dev.infer.testing.HostileInput;
import dev.infer.testing.HostileInput.Template;
import dev.infer.testing.SharedModels;
import dev.infer.worker.WorkerOptions;
import dev.infer.worker.WorkerServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * 10,000 generated malformed or extreme requests against {@code infer api} in front of a real
 * controller and a worker running the shared tiny Llama (seed from {@code -Dinfer.fuzz.seed},
 * default 7): no 5xx, no stack trace, every answer in time, and correct answers afterwards.
 */
class ApiFuzzTest {
    private static final long SEED = Long.getLong("infer.fuzz.seed", 7);
    private static final String M = "tiny";
    private static final String CHAT = "{\"model\":\"" + M + "\",\"messages\":[{\"role\":\"user\","
            + "\"content\":\"hi\"}],\"max_tokens\":1,\"temperature\":0";
    private static final List<Template> TEMPLATES = List.of(
            new Template("/v1/chat/completions", CHAT + ",\"top_p\":0.9,\"n\":1,\"seed\":1,"
                    + "\"stop\":[\"x\"],\"user\":\"u\"}"),
            new Template("/v1/chat/completions", CHAT + ",\"stream\":true,"
                    + "\"stream_options\":{\"include_usage\":true}}"),
            new Template("/v1/completions", "{\"model\":\"" + M + "\",\"prompt\":\"hi\","
                    + "\"max_tokens\":1,\"echo\":false,\"presence_penalty\":0}"),
            new Template("/v1/embeddings", "{\"model\":\"" + M + "\",\"input\":[\"a\"]}"));

    @Test
    void ten_thousand_hostile_requests_get_no_5xx_no_trace_and_leave_it_serving()
            throws Exception {
        var model = Models.load(SharedModels.require(SharedModels.LLAMA_FP16),
                ModelOptions.named(M));
        System.setProperty("infer.http.body-timeout-ms", "3000");
        ControllerServer controller = ControllerServer.config().port(0).start();
        WorkerServer worker = WorkerServer.start(model, WorkerOptions.builder().port(0)
                .controllerUrl(controller.baseUrl()).build());
        ApiServer api = ApiServer.start(ApiConfig.local(controller.baseUrl()));
        try {
            Await.until(Duration.ofSeconds(20), "the worker registered",
                    () -> controller.registry().size() == 1);
            FuzzRunner fuzz = new FuzzRunner(api.baseUrl(), Map.of(), Duration.ofSeconds(30));
            long t0 = System.nanoTime();
            fuzz.run(new HostileInput(SEED, TEMPLATES, 128 * 1024), 10_000, 12);
            System.out.println("api fuzz: 10000 requests in "
                    + (System.nanoTime() - t0) / 1_000_000 + " ms");
            fuzz.declaredHugeBody("/v1/chat/completions", 1L << 40);
            fuzz.chunkedOversizedBody("/v1/chat/completions",
                    HttpServer.DEFAULT_MAX_REQUEST_BYTES);
            for (int i = 0; i < 3; i++) {
                fuzz.slowLorisBody("/v1/completions", Duration.ofSeconds(8));
            }
            assertTrue(fuzz.violations().isEmpty(), fuzz.violationCount() + " violations (seed "
                    + SEED + "), statuses " + fuzz.statuses() + ":\n"
                    + String.join("\n", fuzz.violations()));
            HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create(api.baseUrl() + "/v1/chat/completions"))
                    .timeout(Duration.ofSeconds(20))
                    .POST(HttpRequest.BodyPublishers.ofString(CHAT + "}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode(), r.body());
            assertEquals(1, Json.mapper().readTree(r.body()).at("/usage/completion_tokens")
                    .asInt(), r.body());
            assertEquals(0, worker.status().queueLength(), "every worker slot is free again");
            System.out.println("api fuzz statuses: " + fuzz.statuses());
        } finally {
            System.clearProperty("infer.http.body-timeout-ms");
            api.close();
            worker.close();
            controller.close();
        }
    }
}
