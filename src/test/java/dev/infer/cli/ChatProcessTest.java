package dev.infer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.infer.protocol.Json;
import dev.infer.testing.SharedModels;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code infer chat} as a real process with stdin from a file: the scripting mode. */
class ChatProcessTest {
    @TempDir Path dir;

    record Result(int code, String out, String err) {}

    private Result infer(String stdin, String... args) throws Exception {
        Path input = dir.resolve("stdin.txt");
        Files.writeString(input, stdin);
        String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dai.djl.offline=true", "-cp", classpath, "dev.infer.cli.Main", "chat"));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command)
                .redirectInput(input.toFile())
                .redirectOutput(dir.resolve("out.txt").toFile())
                .redirectError(dir.resolve("err.txt").toFile());
        pb.environment().put("OPT_OUT_TRACKING", "true");
        // A dead address, so that no controller another test started can answer.
        pb.environment().put("INFER_CONTROLLER", "http://127.0.0.1:1");
        Process p = pb.start();
        try {
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "infer chat did not finish");
        } finally {
            p.destroyForcibly();
        }
        return new Result(p.exitValue(), Files.readString(dir.resolve("out.txt"), StandardCharsets.UTF_8),
                Files.readString(dir.resolve("err.txt"), StandardCharsets.UTF_8));
    }

    @Test
    void each_input_line_gets_its_own_answer_and_nothing_else_on_stdout() throws Exception {
        Path model = SharedModels.require(SharedModels.LLAMA_FP16);
        Result r = infer("Hello there\n\nHello there\n", "--model-path", model.toString(),
                "--temperature", "0", "--max-tokens", "8");
        assertEquals(0, r.code(), r.err());
        // Greedy answers to the same line in fresh conversations are the same: stdout is A\nA\n.
        String out = r.out();
        assertFalse(out.isBlank());
        String half = out.substring(0, out.length() / 2);
        assertEquals(half + half, out);
        assertTrue(half.endsWith(System.lineSeparator()), out);
        assertFalse(r.err().contains("Exception"), r.err());
    }

    /** Slow (a second JVM loading ONNX Runtime); the in-process tests cover --whole cheaply. */
    @Test
    @Tag("slow")
    void whole_input_is_one_message_and_json_carries_usage() throws Exception {
        Path model = SharedModels.require(SharedModels.LLAMA_FP16);
        Result r = infer("line one\nline two\n", "--model-path", model.toString(), "--whole", "--json",
                "--max-tokens", "4", "--system", "Be brief.");
        assertEquals(0, r.code(), r.err());
        List<String> lines = r.out().lines().toList();
        assertEquals(1, lines.size(), r.out());
        JsonNode answer = Json.mapper().readTree(lines.get(0));
        assertEquals("line one\nline two", answer.path("input").asText());
        assertEquals(SharedModels.LLAMA_FP16, answer.path("model").asText());
        assertEquals("length", answer.path("finish_reason").asText());
        assertEquals(4, answer.path("usage").path("completion_tokens").asInt());
        assertTrue(answer.path("usage").path("prompt_tokens").asInt() > 4, lines.get(0));
    }

    @Test
    void with_no_controller_and_no_model_path_it_answers_with_the_built_in_demo_model()
            throws Exception {
        Result r = infer("hi\n", "--temperature", "0", "--max-tokens", "16");
        assertEquals(0, r.code(), r.err());
        assertFalse(r.out().isBlank(), r.err());
        assertTrue(r.err().contains("using the built-in demo model"), r.err());
        assertFalse(r.err().contains("\tat "), r.err());
    }

}
