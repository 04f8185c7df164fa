package dev.infer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.infer.testing.SharedModels;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * SIGTERM on a real {@code infer worker} process: it drains, closes the model and exits 0. Slow
 * (a JVM start and a model load), so it runs with {@code -DexcludedGroups=none}, not by default.
 */
@Tag("slow")
class WorkerSignalTest {
    @Test
    void sigterm_stops_the_worker_cleanly_with_exit_status_0() throws Exception {
        Path model = SharedModels.require(SharedModels.LLAMA_FP16);
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p =
                new ProcessBuilder(
                                java,
                                "-Dai.djl.offline=true",
                                "-cp",
                                System.getProperty("java.class.path"),
                                Main.class.getName(),
                                "worker",
                                "--model-path",
                                model.toString(),
                                "--port",
                                "0",
                                "--no-register")
                        .redirectErrorStream(true)
                        .start();
        List<String> lines = new ArrayList<>();
        CompletableFuture<Void> serving = new CompletableFuture<>();
        Thread reader =
                new Thread(
                        () -> {
                            try (BufferedReader r =
                                    new BufferedReader(
                                            new InputStreamReader(
                                                    p.getInputStream(), StandardCharsets.UTF_8))) {
                                String line;
                                while ((line = r.readLine()) != null) {
                                    synchronized (lines) {
                                        lines.add(line);
                                    }
                                    if (line.contains("worker serving")) {
                                        serving.complete(null);
                                    }
                                }
                            } catch (java.io.IOException e) {
                                serving.completeExceptionally(e);
                            }
                        });
        reader.start();
        try {
            serving.get(60, TimeUnit.SECONDS);
            // SIGTERM through the handle: Process.destroy() would also close our end of its output.
            p.toHandle().destroy();
            assertTrue(p.waitFor(30, TimeUnit.SECONDS), "the worker must exit after SIGTERM");
            reader.join(5000);
            assertEquals(0, p.exitValue(), String.join("\n", lines));
            synchronized (lines) {
                assertTrue(
                        lines.stream()
                                .anyMatch(
                                        l -> l.contains("WorkerServer") && l.endsWith(" stopped")),
                        "the worker must log that it stopped after closing the model:\n"
                                + String.join("\n", lines));
            }
        } finally {
            p.destroyForcibly();
        }
    }
}
