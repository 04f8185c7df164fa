package dev.infer.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.infer.testing.SharedModels;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Continuous batching on the real exports in {@code ../shared/models} (skipped when absent): the
 * fp16 Llama (Optimum names, MultiHeadAttention with an additive mask bias, rotary positions)
 * and the fp32 GPT-2 (stacked past, int32 inputs, its Attention op's raw mask). Greedy output of
 * each request in a mixed batch equals the same request run alone on the same session.
 */
class SharedModelBatchingTest {
    private static final Map<String, DecoderModel> LOADED = new ConcurrentHashMap<>();

    /** Prompts whose ids all lie below the GPT-2 test model's 1000-id vocabulary. */
    private static final List<String> PROMPTS = List.of("I think that it is", "it is",
            "I think that it is the", "and", "in the", "I think that");

    private static DecoderModel model(String name) {
        return LOADED.computeIfAbsent(name, key -> (DecoderModel) Models.load(
                SharedModels.require(key), new ModelOptions(null, 1, 8)));
    }

    @AfterAll
    static void closeModels() {
        LOADED.values().forEach(LoadedModel::close);
    }

    private static List<GenerationRequest> requests() {
        List<GenerationRequest> requests = new java.util.ArrayList<>();
        for (int i = 0; i < PROMPTS.size(); i++) {
            requests.add(GenerationRequest.greedy(PROMPTS.get(i), 16 + 5 * i));
        }
        requests.add(new GenerationRequest(PROMPTS.get(0), 20, new SamplingParams(0.8, 0.9, 50,
                1.1, 1234L), List.of(), List.of(), false));
        return requests;
    }

    @Test
    void llama_fp16_batched_greedy_output_equals_output_alone() {
        DecoderModel model = model(SharedModels.LLAMA_FP16);
        assertEquals(8, model.info().maxBatchSize());
        BatchingTest.assertBatchEqualsAlone(model, requests(), 7);
    }

    @Test
    void gpt2_stacked_fp32_batched_greedy_output_equals_output_alone() {
        DecoderModel model = model(SharedModels.GPT2_FP32);
        assertEquals(8, model.info().maxBatchSize());
        BatchingTest.assertBatchEqualsAlone(model, requests(), 7);
    }
}
