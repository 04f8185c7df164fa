package dev.infer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.infer.client.ControllerClient;
import dev.infer.controller.ControllerServer;
import dev.infer.protocol.Json;
import dev.infer.testing.Await;
import dev.infer.testing.SharedModels;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code infer worker}, {@code infer test} and {@code infer kill} run in process through
 * {@link Main#run}, against a real controller and the real engine on the shared tiny Llama model.
 */
class WorkerCommandTest {
    private ControllerServer controller;

    @AfterEach
    void stop() {
        if (controller != null) {
            controller.close();
        }
    }

    @Test
    void a_missing_model_folder_is_one_line_naming_the_path_and_exit_1() {
        MainTest.Run r = MainTest.run("worker", "--model-path", "/no/such/model", "--no-register");
        assertEquals(1, r.code());
        assertEquals("infer worker: --model-path /no/such/model: no such folder", r.err().strip());
    }

    @Test
    void a_folder_without_a_model_is_one_line_naming_the_path_and_exit_1(@TempDir Path dir) {
        MainTest.Run r = MainTest.run("worker", "--model-path", dir.toString(), "--no-register");
        assertEquals(1, r.code());
        String[] lines = r.err().strip().split("\n");
        assertEquals(1, lines.length, r.err());
        assertTrue(
                lines[0].startsWith("infer worker: ") && lines[0].contains(dir.toString()),
                r.err());
    }

    @Test
    void a_concurrency_limit_of_zero_is_a_usage_error() {
        MainTest.Run r = MainTest.run("worker", "--model-path", ".", "--limit-concurrency", "0");
        assertEquals(2, r.code());
        assertTrue(
                r.err().startsWith("infer worker: --limit-concurrency must be at least 1"),
                r.err());
    }

    @Test
    void a_batch_size_or_token_budget_of_zero_is_a_usage_error() {
        MainTest.Run r = MainTest.run("worker", "--model-path", ".", "--max-batch-size", "0");
        assertEquals(2, r.code());
        assertTrue(r.err().startsWith("infer worker: --max-batch-size must be at least 1"), r.err());
        r = MainTest.run("worker", "--model-path", ".", "--max-batch-tokens", "0");
        assertEquals(2, r.code());
        assertTrue(r.err().startsWith("infer worker: --max-batch-tokens must be at least 1"), r.err());
    }

    @Test
    void a_frame_interval_outside_0_to_1000_ms_is_a_usage_error() {
        for (String bad : new String[] {"-1", "1001"}) {
            MainTest.Run r = MainTest.run("worker", "--model-path", ".", "--frame-interval", bad);
            assertEquals(2, r.code(), r.err());
            assertTrue(r.err().startsWith("infer worker: --frame-interval must be in 0..1000 ms, got "
                    + bad), r.err());
        }
        MainTest.Run r = MainTest.run("worker", "--model-path", ".", "--frame-interval", "soon");
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("--frame-interval"), r.err());
    }

    @Test
    void a_controller_that_is_not_a_url_is_a_usage_error() {
        MainTest.Run r =
                MainTest.run("worker", "--model-path", ".", "--controller", "localhost:21001");
        assertEquals(2, r.code());
        assertTrue(
                r.err().startsWith("infer worker: --controller must be an http:// or https:// URL"),
                r.err());
    }

    @Test
    void worker_registers_answers_infer_test_and_exits_0_after_infer_kill() throws Exception {
        String model = SharedModels.require(SharedModels.LLAMA_FP16).toString();
        controller = ControllerServer.config().port(0).start();
        String url = controller.baseUrl();
        CompletableFuture<MainTest.Run> worker =
                CompletableFuture.supplyAsync(
                        () ->
                                MainTest.run(
                                        "worker",
                                        "--model-path",
                                        model,
                                        "--model-name",
                                        "llama",
                                        "--port",
                                        "0",
                                        "--controller",
                                        url,
                                        "--heartbeat-interval",
                                        "0.2"));
        ControllerClient client = new ControllerClient(url, null);
        Await.until(Duration.ofSeconds(60), "the worker to register", () -> {
            assertTrue(!worker.isDone(), () -> "worker ended: " + worker.join());
            return client.listModels().contains("llama");
        });

        MainTest.Run test = MainTest.run("test", "--controller", url, "--max-tokens", "8");
        assertEquals(0, test.code(), test.err());
        assertTrue(test.out().startsWith("llama  ok  http://127.0.0.1:"), test.out());
        assertTrue(test.out().contains("8 tokens"), test.out());

        String address = client.workerAddress("llama");
        MainTest.Run direct =
                MainTest.run("test", "--worker", address, "--json", "--max-tokens", "4");
        assertEquals(0, direct.code(), direct.err());
        JsonNode outcome = Json.mapper().readTree(direct.out());
        assertEquals("llama", outcome.get("model").asText());
        assertTrue(outcome.get("ok").asBoolean());
        assertEquals(4, outcome.get("completion_tokens").asInt());
        assertTrue(outcome.get("time_to_first_token_ms").asDouble() > 0);
        assertTrue(outcome.get("tokens_per_second").asDouble() > 0);

        MainTest.Run kill = MainTest.run("kill", "--model", "llama", "--controller", url);
        assertEquals(0, kill.code(), kill.err());
        assertEquals("draining " + address, kill.out().strip());
        assertEquals(0, worker.get(30, TimeUnit.SECONDS).code(), () -> worker.join().err());
        assertTrue(client.listModels().isEmpty(), "a killed worker leaves the registry at once");

        MainTest.Run again = MainTest.run("test", "--controller", url, "--model", "llama");
        assertEquals(1, again.code());
        assertTrue(again.out().contains("llama  FAILED  no worker serves it"), again.out());
        assertEquals("infer test: 1 of 1 model(s) did not answer", again.err().strip());
    }
}
