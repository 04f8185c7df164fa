package dev.infer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.infer.testing.SharedModels;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** {@code infer chat} through {@link Main#run}: flags, exit codes and one-line errors. */
class ChatCommandTest {
    private static final String DEAD = "http://127.0.0.1:1";

    @Test
    void unreachable_controller_is_a_one_line_failure_naming_it() {
        MainTest.Run r = MainTest.run("chat", "--controller", DEAD, "-m", "hi");
        assertEquals(1, r.code());
        assertEquals("infer chat: no controller at " + DEAD + " (connection refused)\n", r.err());
        assertEquals("", r.out());
    }

    @Test
    void unreachable_api_is_a_one_line_failure_naming_it() {
        MainTest.Run r = MainTest.run("chat", "--api", DEAD, "-m", "hi");
        assertEquals(1, r.code());
        assertEquals("infer chat: no OpenAI-compatible API at " + DEAD + "/v1 (connection refused)\n", r.err());
    }

    @Test
    void missing_model_folder_is_a_one_line_failure() {
        MainTest.Run r = MainTest.run("chat", "--model-path", "/no/such/model", "-m", "hi");
        assertEquals(1, r.code());
        assertEquals("infer chat: no model folder at /no/such/model\n", r.err());
    }

    @Test
    void out_of_range_sampling_flags_are_usage_errors() {
        MainTest.Run r = MainTest.run("chat", "--temperature", "5", "-m", "hi");
        assertEquals(2, r.code());
        assertEquals("infer chat: --temperature must be between 0 and 2.0, got 5.0", r.err().lines().findFirst().orElse(""));
        assertEquals(2, MainTest.run("chat", "--top-p", "0", "-m", "hi").code());
        assertEquals(2, MainTest.run("chat", "--max-tokens", "0", "-m", "hi").code());
        MainTest.Run notNumber = MainTest.run("chat", "--max-tokens", "many");
        assertEquals(2, notNumber.code());
        assertTrue(notNumber.err().startsWith("infer chat: Invalid value for option '--max-tokens'"), notNumber.err());
    }

    @Test
    void model_path_with_a_remote_backend_is_a_usage_error() {
        MainTest.Run r = MainTest.run("chat", "--model-path", "m", "--api", DEAD);
        assertEquals(2, r.code());
        assertEquals("infer chat: --model-path cannot be combined with --api or --controller",
                r.err().lines().findFirst().orElse(""));
    }

    @Test
    void message_flag_prints_one_json_answer_with_usage() {
        Path model = SharedModels.require(SharedModels.LLAMA_FP16);
        MainTest.Run r = MainTest.run("chat", "--model-path", model.toString(), "-m", "Hello",
                "--json", "--max-tokens", "5", "--temperature", "0");
        assertEquals(0, r.code(), r.err());
        assertEquals(1, r.out().lines().count(), r.out());
        assertTrue(r.out().contains("\"finish_reason\":\"length\""), r.out());
        assertTrue(r.out().contains("\"completion_tokens\":5"), r.out());
    }
}
