package dev.infer.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.infer.engine.ModelOptions;
import dev.infer.engine.Models;
import dev.infer.testing.SharedModels;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * A client that sends a streaming request and then never reads: once the socket buffers are full
 * the worker's write blocks, the idle timeout fails it, the generation is cancelled and the one
 * slot goes to the next request.
 */
class SlowClientTest {
    @Test
    void a_client_that_stops_reading_does_not_hold_the_slot_past_the_idle_timeout()
            throws Exception {
        var model = Models.load(SharedModels.require(SharedModels.LLAMA_FP16),
                ModelOptions.named("tiny"));
        System.setProperty("infer.http.idle-timeout-ms", "1500");
        WorkerServer worker;
        try {
            worker = WorkerServer.start(model, WorkerOptions.builder().port(0).register(false)
                    .limitConcurrency(1).build());
        } finally {
            System.clearProperty("infer.http.idle-timeout-ms");
        }
        try (Socket stalled = new Socket("127.0.0.1", worker.port())) {
            // A small receive buffer fills quickly; the text of each frame is the whole answer so
            // far, so a long answer writes megabytes.
            stalled.setReceiveBufferSize(4096);
            String body = "{\"model\":\"tiny\",\"prompt\":\"go\",\"max_new_tokens\":2000,"
                    + "\"temperature\":1,\"seed\":1}";
            OutputStream out = stalled.getOutputStream();
            out.write(("POST /worker_generate_stream HTTP/1.1\r\nHost: x\r\nContent-Type: "
                    + "application/json\r\nContent-Length: " + body.length() + "\r\n\r\n" + body)
                    .getBytes(StandardCharsets.UTF_8));
            out.flush();
            long t0 = System.nanoTime();
            HttpResponse<String> next = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + worker.port() + "/worker_generate"))
                    .timeout(Duration.ofSeconds(60))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"tiny\","
                            + "\"prompt\":\"hi\",\"max_new_tokens\":2}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertEquals(200, next.statusCode(), next.body());
            System.out.println("the next request was served after " + ms + " ms");
            assertTrue(ms < 30_000, "the next request waited " + ms + " ms");
            String metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(
                    "http://127.0.0.1:" + worker.port() + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            assertTrue(metrics.contains("endpoint=\"worker_generate_stream\",outcome=\""
                    + WorkerMetrics.Outcome.CLIENT_GONE.label() + "\"} 1.0"),
                    "the stalled stream must end as client-gone (cut by the timeout), not "
                            + "run to its end:\n" + metrics.lines().filter(l -> l.startsWith(
                                    "infer_worker_requests_total")).toList());
        } finally {
            worker.close();
        }
    }
}
