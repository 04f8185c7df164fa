package dev.infer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.infer.controller.ControllerServer;
import dev.infer.engine.ModelOptions;
import dev.infer.engine.Models;
import dev.infer.openai.ApiConfig;
import dev.infer.openai.ApiServer;
import dev.infer.testing.Await;
import dev.infer.testing.SharedModels;
import dev.infer.worker.WorkerOptions;
import dev.infer.worker.WorkerServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * SIGKILL on a real {@code infer worker} process while it streams to several API clients, with a
 * second worker for the same model: streams under way end with an error event, requests still
 * waiting for their first token are served by the other worker, no client hangs, and the dead
 * worker leaves the registry within the expiration. Slow (a JVM start and a model load): run by
 * {@code bench/faults/run.sh}, not by default.
 */
@Tag("slow")
class WorkerKillTest {
    private static final Duration EXPIRATION = Duration.ofSeconds(3);

    /** What one streaming client saw. */
    private record Seen(List<String> events) {
        boolean content() {
            return events.stream().anyMatch(e -> e.contains("\"content\":\"") && !e.contains(
                    "\"content\":\"\""));
        }

        boolean error() {
            return events.stream().anyMatch(e -> e.startsWith("{\"error\""));
        }

        boolean finished() {
            return events.stream().anyMatch(e -> e.contains("\"finish_reason\":\"")
                    && !e.contains("\"finish_reason\":null"));
        }

        boolean done() {
            return !events.isEmpty() && events.get(events.size() - 1).equals("[DONE]");
        }
    }

    @Test
    void killing_a_streaming_worker_fails_over_queued_requests_and_ends_running_ones()
            throws Exception {
        Path modelDir = SharedModels.require(SharedModels.LLAMA_FP16);
        ControllerServer controller = ControllerServer.config().port(0)
                .heartbeatExpiration(EXPIRATION).healthCheckInterval(Duration.ofSeconds(1))
                .start();
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process doomed = new ProcessBuilder(java, "-Dai.djl.offline=true", "-cp",
                System.getProperty("java.class.path"), Main.class.getName(), "worker",
                "--model-path", modelDir.toString(), "--model-name", "tiny", "--port", "0",
                "--controller", controller.baseUrl(), "--limit-concurrency", "2",
                "--heartbeat-interval", "1").redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        ApiServer api = ApiServer.start(ApiConfig.local(controller.baseUrl())
                .withTimeouts(Duration.ofSeconds(30), Duration.ofSeconds(5))
                .withCacheTtl(Duration.ofMinutes(1)));
        WorkerServer survivor = null;
        try {
            Await.until(Duration.ofSeconds(60), "the worker process registered",
                    () -> controller.registry().size() == 1);
            String doomedName = controller.registry().snapshot().get(0).workerName();
            HttpClient http = HttpClient.newHttpClient();
            List<CopyOnWriteArrayList<String>> events = new ArrayList<>();
            List<CompletableFuture<HttpResponse<Void>>> calls = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                CopyOnWriteArrayList<String> seen = new CopyOnWriteArrayList<>();
                events.add(seen);
                calls.add(http.sendAsync(HttpRequest.newBuilder(URI.create(api.baseUrl()
                        + "/v1/chat/completions")).timeout(Duration.ofSeconds(60))
                        .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"tiny\","
                                + "\"stream\":true,\"max_tokens\":1900,\"temperature\":0,"
                                + "\"messages\":[{\"role\":\"user\",\"content\":\"go " + i
                                + "\"}]}")).build(),
                        HttpResponse.BodyHandlers.fromLineSubscriber(new LineCollector(seen))));
            }
            Await.until(Duration.ofSeconds(30), "two streams under way", () -> events.stream()
                    .filter(e -> new Seen(e).content()).count() == 2);
            survivor = WorkerServer.start(Models.load(modelDir, ModelOptions.named("tiny")),
                    WorkerOptions.builder().port(0).controllerUrl(controller.baseUrl())
                            .heartbeatInterval(Duration.ofSeconds(1)).build());
            Await.until(Duration.ofSeconds(10), "the second worker registered",
                    () -> controller.registry().size() == 2);
            List<Boolean> startedBeforeKill = events.stream().map(e -> new Seen(e).content())
                    .toList();
            doomed.destroyForcibly();
            long killed = System.nanoTime();
            Await.until(EXPIRATION.plusSeconds(2), "the dead worker dropped",
                    () -> !controller.registry().contains(doomedName));
            System.out.println("dead worker dropped " + (System.nanoTime() - killed) / 1_000_000
                    + " ms after SIGKILL");
            CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new))
                    .get(60, TimeUnit.SECONDS);
            int failedOver = 0;
            for (int i = 0; i < events.size(); i++) {
                Seen s = new Seen(events.get(i));
                assertTrue(s.done(), "client " + i + " must end with [DONE]: " + s.events());
                if (startedBeforeKill.get(i) && !s.finished()) {
                    assertTrue(s.error(), "client " + i + " was cut: error event " + s.events());
                } else if (!startedBeforeKill.get(i)) {
                    assertTrue(s.finished() && !s.error(), "client " + i
                            + " had no token yet, so the other worker serves it: " + s.events());
                    failedOver++;
                }
            }
            assertEquals(4, failedOver);
        } finally {
            doomed.destroyForcibly();
            doomed.waitFor(10, TimeUnit.SECONDS);
            api.close();
            if (survivor != null) {
                survivor.close();
            }
            controller.close();
        }
    }

    /** Collects SSE data lines. */
    private record LineCollector(List<String> into) implements java.util.concurrent.Flow
            .Subscriber<String> {
        @Override
        public void onSubscribe(java.util.concurrent.Flow.Subscription s) {
            s.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(String line) {
            if (line.startsWith("data: ")) {
                into.add(line.substring(6));
            }
        }

        @Override
        public void onError(Throwable t) {
            into.add("client error: " + t);
        }

        @Override
        public void onComplete() {}
    }
}
