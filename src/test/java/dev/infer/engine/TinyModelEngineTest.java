package dev.infer.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.infer.engine.TinyModels.Layout;
import dev.infer.engine.TinyModels.Weights;
import dev.infer.testing.Await;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The engine on tiny decoders the test writes itself: no shared models needed. */
class TinyModelEngineTest {
    @TempDir
    static Path tmp;
    static LoadedModel counting;
    static LoadedModel random;

    @BeforeAll
    static void load() throws IOException {
        counting = Models.load(TinyModels.write(tmp.resolve("counting"), Weights.COUNTING,
                Layout.OPTIMUM), ModelOptions.defaults());
        random = Models.load(TinyModels.write(tmp.resolve("random"), Weights.RANDOM,
                Layout.OPTIMUM), ModelOptions.defaults());
    }

    @AfterAll
    static void close() {
        counting.close();
        random.close();
    }

    static GenerationResult generate(LoadedModel model, GenerationRequest request) {
        try {
            return model.submit(request, GenerationListener.NONE).result()
                    .get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    static GenerationRequest request(String prompt, int max, SamplingParams sampling,
            List<String> stop, List<Integer> stopIds) {
        return new GenerationRequest(prompt, max, sampling, stop, stopIds, false);
    }

    @Test
    void loads_a_decoder_with_its_kv_cache_and_config() {
        ModelInfo info = counting.info();
        assertEquals("counting", info.name());
        assertEquals(ModelKind.DECODER, info.kind());
        assertEquals(TinyModels.CONTEXT, info.contextLength());
        assertEquals(TinyModels.VOCAB, info.vocabSize());
        assertTrue(info.kvCache());
        assertEquals(1, info.maxBatchSize());
        assertEquals(new SamplingParams(0.7, 0.9, 0, 1.0, null), counting.defaultSampling());
    }

    @Test
    void greedy_generation_follows_the_model_and_stops_at_eos() {
        GenerationResult r = generate(counting, GenerationRequest.greedy("the", 20));
        assertEquals(" cat sat on mat and dog ran", r.text());
        assertEquals(FinishReason.STOP, r.finishReason());
        assertEquals(1, r.promptTokens());
        assertEquals(8, r.completionTokens());
    }

    @Test
    void ignore_eos_generates_past_eos_up_to_the_token_limit() {
        GenerationResult r = generate(counting, new GenerationRequest("the", 12,
                SamplingParams.GREEDY, List.of(), List.of(), false, true));
        assertTrue(r.text().startsWith(" cat sat on mat and dog ran"), r.text());
        assertEquals(FinishReason.LENGTH, r.finishReason());
        assertEquals(12, r.completionTokens());
        // stop ids the request names still end it
        int dog = TinyModels.WORDS.indexOf("dog") + 2;
        GenerationResult stopped = generate(counting, new GenerationRequest("the", 12,
                SamplingParams.GREEDY, List.of(), List.of(dog), false, true));
        assertEquals(" cat sat on mat and", stopped.text());
        assertEquals(FinishReason.STOP, stopped.finishReason());
    }

    @Test
    void max_new_tokens_ends_the_generation_with_length() {
        GenerationResult r = generate(counting, GenerationRequest.greedy("the", 3));
        assertEquals(" cat sat on", r.text());
        assertEquals(FinishReason.LENGTH, r.finishReason());
        assertEquals(3, r.completionTokens());
    }

    @Test
    void echo_puts_the_prompt_in_front() {
        GenerationResult r = generate(counting, new GenerationRequest("the cat", 2,
                SamplingParams.GREEDY, List.of(), List.of(), true));
        assertEquals("the cat sat on", r.text());
    }

    @Test
    void stop_token_ids_end_the_generation() {
        int mat = TinyModels.WORDS.indexOf("mat") + 2;
        GenerationResult r = generate(counting, request("the", 20, SamplingParams.GREEDY,
                List.of(), List.of(mat)));
        assertEquals(" cat sat on", r.text());
        assertEquals(FinishReason.STOP, r.finishReason());
    }

    @Test
    void stop_string_ends_the_text_before_it_and_no_part_of_it_is_streamed() throws Exception {
        List<String> texts = new ArrayList<>();
        StringBuilder deltas = new StringBuilder();
        GenerationResult r = counting.submit(request("the", 20, SamplingParams.GREEDY,
                List.of(" on mat"), List.of()), (text, delta, n) -> {
                    texts.add(text);
                    deltas.append(delta);
                }).result().get(10, TimeUnit.SECONDS);
        assertEquals(" cat sat", r.text());
        assertEquals(FinishReason.STOP, r.finishReason());
        assertEquals(List.of(" cat", " cat sat"), texts);
        assertEquals(r.text(), deltas.toString());
    }

    @Test
    void greedy_output_with_kv_cache_equals_output_without() {
        try (LoadedModel noCache = Models.load(tmp.resolve("random"), ModelOptions.defaults(),
                false)) {
            assertFalse(noCache.info().kvCache());
            GenerationRequest req = GenerationRequest.greedy("the cat sat", 40);
            GenerationResult cached = generate(random, req);
            GenerationResult whole = generate(noCache, req);
            assertEquals(40, cached.completionTokens());
            assertEquals(whole.text(), cached.text());
        }
    }

    @Test
    void stacked_past_layout_with_int32_ids_generates_as_the_optimum_layout() throws IOException {
        Path dir = TinyModels.write(tmp.resolve("stacked"), Weights.RANDOM, Layout.STACKED);
        try (LoadedModel stacked = Models.load(dir, ModelOptions.defaults())) {
            assertTrue(stacked.info().kvCache());
            GenerationRequest req = GenerationRequest.greedy("dog ran on", 30);
            assertEquals(generate(random, req).text(), generate(stacked, req).text());
        }
    }

    @Test
    void model_without_kv_inputs_is_fed_the_whole_sequence_and_generates_the_same()
            throws IOException {
        Path dir = TinyModels.write(tmp.resolve("nocache"), Weights.RANDOM, Layout.NONE);
        try (LoadedModel plain = Models.load(dir, ModelOptions.defaults())) {
            assertFalse(plain.info().kvCache());
            GenerationRequest req = GenerationRequest.greedy("cat and dog", 30);
            assertEquals(generate(random, req).text(), generate(plain, req).text());
        }
    }

    @Test
    void seeded_sampling_is_reproducible_and_the_seed_matters() {
        SamplingParams seven = new SamplingParams(1.0, 0.95, 0, 1.0, 7L);
        SamplingParams eight = new SamplingParams(1.0, 0.95, 0, 1.0, 8L);
        GenerationRequest a = request("the", 40, seven, List.of(), List.of());
        String first = generate(random, a).text();
        assertEquals(first, generate(random, a).text());
        assertNotEquals(first, generate(random, request("the", 40, eight, List.of(), List.of()))
                .text());
    }

    @Test
    void prompt_that_does_not_fit_the_context_is_refused_with_both_numbers() {
        EngineException e = assertThrows(EngineException.class,
                () -> counting.submit(GenerationRequest.greedy("the cat", 63), null));
        assertEquals(EngineException.Reason.CONTEXT_OVERFLOW, e.reason());
        assertTrue(e.getMessage().contains("64") && e.getMessage().contains("65"),
                e.getMessage());
    }

    @Test
    void chat_template_renders_and_its_raise_exception_rejects() {
        assertEquals("the cat the", random.renderChat(List.of(new Message("user", "the cat"))));
        EngineException e = assertThrows(EngineException.class,
                () -> random.renderChat(List.of(new Message("system", "be brief"))));
        assertEquals(EngineException.Reason.INVALID_INPUT, e.reason());
        assertTrue(e.getMessage().endsWith("no system turns here"), e.getMessage());
    }

    @Test
    void folder_without_a_model_file_is_a_bad_model_naming_the_folder() throws IOException {
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        EngineException e = assertThrows(EngineException.class,
                () -> Models.load(empty, ModelOptions.defaults()));
        assertEquals(EngineException.Reason.BAD_MODEL, e.reason());
        assertTrue(e.getMessage().contains("no model.onnx in " + empty), e.getMessage());
    }

    @Test
    void unreadable_model_file_is_a_bad_model() throws IOException {
        Path dir = TinyModels.write(tmp.resolve("broken"), Weights.COUNTING, Layout.OPTIMUM);
        Files.writeString(dir.resolve("model.onnx"), "not a model");
        EngineException e = assertThrows(EngineException.class,
                () -> Models.load(dir, ModelOptions.defaults()));
        assertEquals(EngineException.Reason.BAD_MODEL, e.reason());
        assertTrue(e.getMessage().contains("ONNX Runtime cannot load model.onnx"),
                e.getMessage());
    }

    @Test
    void close_cancels_a_running_generation_and_later_calls_fail_as_closed() throws Exception {
        LoadedModel model = Models.load(tmp.resolve("random"), ModelOptions.named("closing"));
        AtomicReference<Generation> generation = new AtomicReference<>();
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch submitted = new CountDownLatch(1);
        generation.set(model.submit(GenerationRequest.greedy("the", 60), (text, delta, n) -> {
            started.countDown();
            try {
                submitted.await(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            // Hold the first step until close() has cancelled us, so the cancel is observed.
            Await.until(Duration.ofSeconds(5), "close to cancel the generation",
                    () -> ((RunningGeneration) generation.get()).cancelled());
        }));
        submitted.countDown();
        assertTrue(started.await(5, TimeUnit.SECONDS));
        model.close();
        GenerationResult r = generation.get().result().get(5, TimeUnit.SECONDS);
        assertEquals(FinishReason.CANCELLED, r.finishReason());
        model.close();
        EngineException e = assertThrows(EngineException.class,
                () -> model.submit(GenerationRequest.greedy("the", 2), null));
        assertEquals(EngineException.Reason.CLOSED, e.reason());
        assertEquals(EngineException.Reason.CLOSED,
                assertThrows(EngineException.class, () -> model.countTokens("the")).reason());
    }
}
