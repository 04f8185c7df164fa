package dev.infer.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.infer.engine.ModelOptions;
import dev.infer.engine.Models;
import dev.infer.protocol.Json;
import dev.infer.server.HttpServer;
import dev.infer.testing.FuzzRunner;
import dev.infer.testing.HostileInput;
import dev.infer.testing.HostileInput.Template;
import dev.infer.testing.SharedModels;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * 10,000 generated malformed or extreme requests against a worker running the shared tiny Llama
 * (seed from {@code -Dinfer.fuzz.seed}, default 7): requests fail validation or generate a token
 * or two; no 5xx, no stack trace, every answer in time, and the same greedy answer afterwards.
 */
class WorkerFuzzTest {
    private static final long SEED = Long.getLong("infer.fuzz.seed", 7);
    private static final String M = "tiny";
    private static final List<Template> TEMPLATES = List.of(
            new Template("/worker_generate", "{\"model\":\"" + M + "\",\"prompt\":\"hi\","
                    + "\"max_new_tokens\":1,\"temperature\":0.7,\"top_p\":0.9,\"top_k\":5,"
                    + "\"repetition_penalty\":1.1,\"seed\":3,\"echo\":false,\"stop\":[\"x\"],"
                    + "\"stop_token_ids\":[2]}"),
            new Template("/worker_generate_stream", "{\"model\":\"" + M + "\",\"messages\":"
                    + "[{\"role\":\"system\",\"content\":\"be brief\"},{\"role\":\"user\","
                    + "\"content\":\"hi\"}],\"max_new_tokens\":1,\"temperature\":0}"),
            new Template("/count_token", "{\"prompt\":\"hello there\"}"),
            new Template("/worker_get_embeddings", "{\"model\":\"" + M + "\",\"input\":[\"a\"]}"),
            new Template("/worker_get_status", "{}"),
            new Template("/model_details", "{\"model\":\"" + M + "\"}"));

    private static String greedy(HttpClient http, String base) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base
                + "/worker_generate")).timeout(Duration.ofSeconds(20))
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"" + M + "\","
                        + "\"prompt\":\"The sky\",\"max_new_tokens\":4,\"temperature\":0}"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        JsonNode chunk = Json.mapper().readTree(r.body());
        assertEquals(0, chunk.get("error_code").asInt(), r.body());
        return chunk.get("text").asText();
    }

    @Test
    void ten_thousand_hostile_requests_get_no_5xx_no_trace_and_leave_it_serving()
            throws Exception {
        var model = Models.load(SharedModels.require(SharedModels.LLAMA_FP16),
                ModelOptions.named(M));
        System.setProperty("infer.http.body-timeout-ms", "3000");
        WorkerServer worker = WorkerServer.start(model, WorkerOptions.builder().port(0)
                .register(false).build());
        try {
            HttpClient http = HttpClient.newHttpClient();
            String base = "http://127.0.0.1:" + worker.port();
            String before = greedy(http, base);
            FuzzRunner fuzz = new FuzzRunner(base, Map.of(), Duration.ofSeconds(30));
            long t0 = System.nanoTime();
            fuzz.run(new HostileInput(SEED, TEMPLATES, 128 * 1024), 10_000, 12);
            System.out.println("worker fuzz: 10000 requests in "
                    + (System.nanoTime() - t0) / 1_000_000 + " ms");
            fuzz.declaredHugeBody("/worker_generate", 1L << 40);
            fuzz.declaredHugeBody("/worker_generate", HttpServer.DEFAULT_MAX_REQUEST_BYTES + 1);
            fuzz.chunkedOversizedBody("/worker_generate", HttpServer.DEFAULT_MAX_REQUEST_BYTES);
            for (int i = 0; i < 3; i++) {
                fuzz.slowLorisBody("/worker_generate_stream", Duration.ofSeconds(8));
            }
            assertTrue(fuzz.violations().isEmpty(), fuzz.violationCount() + " violations (seed "
                    + SEED + "), statuses " + fuzz.statuses() + ":\n"
                    + String.join("\n", fuzz.violations()));
            assertEquals(before, greedy(http, base), "the same greedy answer after the fuzzing");
            assertEquals(0, worker.status().queueLength(), "every slot is free again");
            System.out.println("worker fuzz statuses: " + fuzz.statuses());
        } finally {
            System.clearProperty("infer.http.body-timeout-ms");
            worker.close();
        }
    }
}
