package dev.infer.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.infer.testing.SharedModels;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * The engine on the real exported models in {@code ../shared/models} (skipped when absent): the
 * fp16 Llama (Optimum-style names, external data), the fp32 GPT-2 (stacked past, int32 ids,
 * model file named by genai_config.json) and the MiniLM encoder.
 */
class SharedModelEngineTest {
    /** Its ids all lie below the GPT-2 test model's 1000-id vocabulary (see models/README.md). */
    private static final String PROMPT = "I think that it is";
    /** Each model is loaded once for the class. */
    private static final Map<String, LoadedModel> LOADED = new HashMap<>();

    private static LoadedModel model(String name) {
        return LOADED.computeIfAbsent(name, key -> Models.load(SharedModels.require(name),
                ModelOptions.defaults()));
    }

    @AfterAll
    static void closeModels() {
        LOADED.values().forEach(LoadedModel::close);
    }

    private static GenerationResult generate(LoadedModel model, GenerationRequest request) {
        try {
            return model.submit(request, GenerationListener.NONE).result()
                    .get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private static void assertCacheMatchesWholeSequence(String name) {
        GenerationRequest request = GenerationRequest.greedy(PROMPT, 40);
        DecoderModel model = (DecoderModel) model(name);
        assertTrue(model.info().kvCache());
        GenerationResult a = generate(model, request);
        GenerationResult b;
        try {
            b = model.submitWithoutCache(request, GenerationListener.NONE).result()
                    .get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        assertEquals(40, a.completionTokens());
        assertEquals(b.completionTokens(), a.completionTokens());
        assertEquals(b.text(), a.text());
    }

    @Test
    void llama_fp16_greedy_output_with_kv_cache_equals_output_without() {
        assertCacheMatchesWholeSequence(SharedModels.LLAMA_FP16);
    }

    @Test
    void gpt2_stacked_past_greedy_output_with_kv_cache_equals_output_without() {
        assertCacheMatchesWholeSequence(SharedModels.GPT2_FP32);
    }

    @Test
    void llama_sampling_with_a_seed_is_reproducible_and_stop_strings_cut_the_text() {
        {
            LoadedModel model = model(SharedModels.LLAMA_FP16);
            SamplingParams sampling = new SamplingParams(0.8, 0.9, 50, 1.1, 1234L);
            GenerationRequest req = new GenerationRequest(PROMPT, 24, sampling, List.of(),
                    List.of(), false);
            String first = generate(model, req).text();
            assertEquals(first, generate(model, req).text());
            assertNotEquals(first, generate(model, new GenerationRequest(PROMPT, 24,
                    new SamplingParams(0.8, 0.9, 50, 1.1, 4321L), List.of(), List.of(), false))
                    .text());

            String greedy = generate(model, GenerationRequest.greedy(PROMPT, 24)).text();
            String stop = greedy.substring(greedy.length() / 2, greedy.length() / 2 + 3);
            List<String> streamed = new ArrayList<>();
            GenerationResult stopped;
            try {
                stopped = model.submit(new GenerationRequest(PROMPT, 24, SamplingParams.GREEDY,
                        List.of(stop), List.of(), false), (text, delta, n) -> streamed.add(text))
                        .result().get(30, TimeUnit.SECONDS);
            } catch (Exception e) {
                throw new AssertionError(e);
            }
            assertEquals(greedy.substring(0, greedy.indexOf(stop)), stopped.text());
            assertEquals(FinishReason.STOP, stopped.finishReason());
            streamed.forEach(t -> assertFalse(t.contains(stop), t));
        }
    }

    @Test
    void llama_limits_length_refuses_overflow_and_renders_its_chat_template() {
        {
            LoadedModel model = model(SharedModels.LLAMA_FP16);
            GenerationResult r = generate(model, GenerationRequest.greedy(PROMPT, 5));
            assertEquals(FinishReason.LENGTH, r.finishReason());
            assertEquals(5, r.completionTokens());
            assertEquals(6, r.promptTokens()); // BOS added by the tokenizer's post-processor

            EngineException e = assertThrows(EngineException.class,
                    () -> model.submit(GenerationRequest.greedy(PROMPT, 2043), null));
            assertEquals(EngineException.Reason.CONTEXT_OVERFLOW, e.reason());
            assertTrue(e.getMessage().contains("2048") && e.getMessage().contains("2049"),
                    e.getMessage());

            String chat = model.renderChat(List.of(new Message("user", "Hi")));
            assertEquals("<s>[INST] Hi [/INST]", chat);
            // The template already wrote BOS: encoding must not add a second one.
            assertEquals(model.countTokens("[INST] Hi [/INST]"), model.countTokens(chat));
        }
    }

    @Test
    void cancelling_a_llama_generation_frees_it_quickly() throws Exception {
        {
            LoadedModel model = model(SharedModels.LLAMA_FP16);
            CountDownLatch first = new CountDownLatch(1);
            Generation g = model.submit(GenerationRequest.greedy(PROMPT, 2000),
                    (text, delta, n) -> first.countDown());
            assertTrue(first.await(10, TimeUnit.SECONDS));
            g.cancel();
            GenerationResult r = g.result().get(2, TimeUnit.SECONDS);
            assertEquals(FinishReason.CANCELLED, r.finishReason());
            assertTrue(r.completionTokens() < 2000);
        }
    }

    @Test
    void gpt2_prompt_with_ids_beyond_the_model_vocabulary_is_invalid_input() {
        {
            LoadedModel model = model(SharedModels.GPT2_FP32);
            assertEquals(1000, model.info().vocabSize());
            EngineException e = assertThrows(EngineException.class,
                    () -> model.submit(GenerationRequest.greedy("Hello, my name is", 4), null));
            assertEquals(EngineException.Reason.INVALID_INPUT, e.reason());
            assertTrue(e.getMessage().contains("15496"), e.getMessage());
        }
    }

    @Test
    void minilm_embeddings_are_unit_vectors_closer_for_similar_sentences() {
        {
            LoadedModel model = model(SharedModels.MINILM);
            assertEquals(ModelKind.ENCODER, model.info().kind());
            Embeddings e = model.embed(List.of("A cat sits on the mat.",
                    "A kitten is sitting on a rug.", "Quarterly tax filings are due in April."),
                    false);
            assertEquals(3, e.vectors().size());
            for (float[] v : e.vectors()) {
                assertEquals(384, v.length);
                assertEquals(1.0, dot(v, v), 1e-4);
            }
            assertTrue(dot(e.vectors().get(0), e.vectors().get(1))
                    > dot(e.vectors().get(0), e.vectors().get(2)) + 0.2);
        }
    }

    @Test
    void minilm_truncates_long_input_on_request_and_otherwise_rejects_it() {
        {
            LoadedModel model = model(SharedModels.MINILM);
            int window = model.info().contextLength();
            String longText = "word ".repeat(window + 10);
            Embeddings cut = model.embed(List.of(longText), true);
            assertEquals(window, cut.tokenCount());
            assertEquals(1.0, dot(cut.vectors().get(0), cut.vectors().get(0)), 1e-4);
            EngineException e = assertThrows(EngineException.class,
                    () -> model.embed(List.of("short", longText), false));
            assertEquals(EngineException.Reason.INVALID_INPUT, e.reason());
            assertTrue(e.getMessage().contains(String.valueOf(window + 12))
                    && e.getMessage().contains(String.valueOf(window)), e.getMessage());
        }
    }

    private static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }
}
