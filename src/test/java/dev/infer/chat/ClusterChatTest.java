package dev.infer.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.infer.client.ControllerClient;
import dev.infer.controller.ControllerServer;
import dev.infer.engine.LoadedModel;
import dev.infer.engine.ModelOptions;
import dev.infer.engine.Models;
import dev.infer.protocol.ChatMessage;
import dev.infer.testing.Await;
import dev.infer.testing.SharedModels;
import dev.infer.worker.WorkerOptions;
import dev.infer.worker.WorkerServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The chat through a real controller and a real worker serving the tiny Llama on loopback. */
class ClusterChatTest {
    private static LoadedModel model;
    private static ControllerServer controller;
    private static WorkerServer worker;
    private static final String NAME = SharedModels.LLAMA_FP16;

    @TempDir Path dir;

    @BeforeAll
    static void start() {
        Path folder = SharedModels.require(SharedModels.LLAMA_FP16);
        model = Models.load(folder, ModelOptions.defaults());
        controller = ControllerServer.config().port(0).start();
        worker = WorkerServer.start(model, WorkerOptions.builder().port(0)
                .controllerUrl(controller.baseUrl()).build());
        ControllerClient client = new ControllerClient(controller.baseUrl(), null);
        Await.until(Duration.ofSeconds(10), "the worker registered",
                () -> client.listModels().contains(NAME));
    }

    @AfterAll
    static void stop() {
        if (worker != null) {
            worker.close();
        }
        if (controller != null) {
            controller.close();
        }
        if (model != null) {
            model.close();
        }
    }

    private static ChatBackend backend() {
        return Backends.open(new Backends.Choice(controller.baseUrl(), null, null, null, null, null,
                Duration.ofSeconds(30)), Backends::loadWithEngine);
    }

    private static ChatSettings greedy(int maxTokens) {
        return ChatSettings.defaults().withTemperature(0).withMaxTokens(maxTokens).withModel(NAME);
    }

    @Test
    void answer_streams_from_the_worker_with_usage() {
        try (ChatBackend b = backend()) {
            assertEquals(List.of(NAME), b.models());
            List<String> deltas = new ArrayList<>();
            // The worker sends a slow reader fewer, larger pieces; 300 tokens take long enough
            // that even a loaded machine reads the stream more than once.
            Answer a = b.chat(NAME, List.of(new ChatMessage("user", "Hello there")), greedy(300), deltas::add);
            assertTrue(deltas.size() > 1, "streamed in pieces: " + deltas.size());
            assertEquals(a.text(), String.join("", deltas));
            assertEquals("length", a.finishReason());
            assertEquals(300, a.completionTokens());
            assertEquals(worker.address(), b.details(NAME).get("worker"));
            assertEquals("2048", b.details(NAME).get("context_length"));
        }
    }

    @Test
    void unknown_model_is_refused_naming_the_controller() {
        try (ChatBackend b = backend()) {
            ChatException e = assertThrows(ChatException.class,
                    () -> b.chat("nope", List.of(new ChatMessage("user", "hi")), greedy(2), d -> { }));
            assertEquals("no worker serves model 'nope' (asked the controller at " + controller.baseUrl()
                    + ")", e.getMessage());
        }
    }

    @Test
    void ctrl_c_in_the_repl_stops_a_streamed_answer_from_the_worker() throws Exception {
        AtomicInteger deltas = new AtomicInteger();
        try (ChatBackend b = backend();
                TerminalDriver t = new TerminalDriver(new CountingBackend(b, deltas), greedy(1900),
                        dir.resolve("history"))) {
            int at = t.prompt(0);
            t.type("Tell me a long story\r");
            Await.until(TerminalDriver.WAIT, "5 pieces of the answer", () -> deltas.get() >= 5);
            t.type("\u0003");
            at = t.await("[answer stopped]", at);
            t.prompt(at);
            assertFalse(t.session.conversation().turns().get(1).content().isEmpty());
            // The session goes on: the next question is answered in full.
            t.type("/set max_tokens 3\r");
            at = t.await("max_tokens = 3", at);
            int before = deltas.get();
            t.type("again\r");
            t.await("[answer cut at max_tokens 3]", at);
            assertTrue(deltas.get() > before);
        }
    }
}
