package dev.infer.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.infer.protocol.Json;
import dev.infer.testing.Await;
import dev.infer.testing.SharedModels;
import java.io.BufferedReader;
import java.io.PrintWriter;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The chat on a real model loaded in this process: the tiny random Llama, through the engine. */
class InProcessChatTest {
    private static ChatBackend backend;
    private static String model;

    @TempDir Path dir;

    @BeforeAll
    static void load() {
        Path folder = SharedModels.require(SharedModels.LLAMA_FP16);
        backend = Backends.inProcess(folder, Backends::loadWithEngine);
        model = ChatSession.resolveModel(backend, null);
    }

    @AfterAll
    static void close() {
        if (backend != null) {
            backend.close();
        }
    }

    private static ChatSettings greedy(int maxTokens) {
        return ChatSettings.defaults().withTemperature(0).withMaxTokens(maxTokens).withModel(model);
    }

    @Test
    void backend_names_the_folder_model_and_its_context() {
        assertEquals(SharedModels.LLAMA_FP16, model);
        assertEquals("2048", backend.details(model).get("context_length"));
    }

    @Test
    void streamed_deltas_add_up_to_the_answer_with_usage() {
        List<String> deltas = new ArrayList<>();
        Answer a = backend.chat(model, List.of(new dev.infer.protocol.ChatMessage("user", "Hello there")),
                greedy(12), deltas::add);
        assertTrue(deltas.size() > 1, "streamed in pieces: " + deltas);
        assertEquals(a.text(), String.join("", deltas));
        assertEquals("length", a.finishReason());
        assertEquals(12, a.completionTokens());
        assertTrue(a.promptTokens() > 2, "prompt tokens " + a.promptTokens());
    }

    @Test
    void script_mode_answers_each_line_alike_in_a_fresh_conversation_as_json() throws Exception {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        boolean ok = new ScriptMode(backend, greedy(6), true, new PrintWriter(out), new PrintWriter(err))
                .run(new BufferedReader(new StringReader("Hello there\n\nHello there\n")), false);
        assertTrue(ok, err.toString());
        String[] lines = out.toString().split("\n");
        assertEquals(2, lines.length, out.toString());
        JsonNode first = Json.mapper().readTree(lines[0]);
        JsonNode second = Json.mapper().readTree(lines[1]);
        assertEquals(first.get("output"), second.get("output"));
        assertEquals(6, first.path("usage").path("completion_tokens").asInt());
        assertEquals(first.path("usage").path("prompt_tokens").asInt() + 6,
                first.path("usage").path("total_tokens").asInt());
        assertEquals(model, first.path("model").asText());
        assertEquals("", err.toString());
    }

    @Test
    void script_mode_whole_input_is_one_message() throws Exception {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        boolean ok = new ScriptMode(backend, greedy(3), true, new PrintWriter(out), new PrintWriter(err))
                .run(new BufferedReader(new StringReader("line one\nline two\n")), true);
        assertTrue(ok, err.toString());
        JsonNode answer = Json.mapper().readTree(out.toString());
        assertEquals("line one\nline two", answer.path("input").asText());
        assertEquals(3, answer.path("usage").path("completion_tokens").asInt());
    }

    @Test
    void repl_streams_a_real_answer_and_ctrl_c_stops_a_long_one() throws Exception {
        AtomicInteger deltas = new AtomicInteger();
        ChatBackend counting = new CountingBackend(backend, deltas);
        try (TerminalDriver t = new TerminalDriver(counting, greedy(1900), dir.resolve("history"))) {
            int at = t.prompt(0);
            t.type("Tell me a long story\r");
            // Pieces of the answer arrive (and are shown) while it is still being generated.
            Await.until(TerminalDriver.WAIT, "5 pieces of the answer", () -> deltas.get() >= 5);
            t.type("\u0003");
            at = t.await("[answer stopped]", at);
            t.prompt(at);
            String kept = t.session.conversation().turns().get(1).content();
            assertFalse(kept.isEmpty());
            // The terminal turns \n into \r\n on the way out, and echoes Ctrl-C as ^C amid the answer.
            String shown = t.screen().replace("\r", "").replace("^C", "");
            assertTrue(shown.contains(kept.strip()), () -> "the kept answer is what was shown; kept: "
                    + TerminalDriver.visible(kept) + "\nshown: " + TerminalDriver.visible(shown));
            assertTrue(deltas.get() < 1900, "stopped early, after " + deltas.get() + " pieces");
        }
    }
}
