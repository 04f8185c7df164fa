package dev.infer.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SamplerTest {
    private static final float[] LOGITS = {1.0f, 3.0f, 2.9f, -1.0f, 0.5f};

    private static int pick(SamplingParams params, KvSequence seq) {
        return new Sampler(params).next(LOGITS.clone(), seq);
    }

    private static Set<Integer> picks(SamplingParams params, int draws) {
        Sampler sampler = new Sampler(params);
        Set<Integer> seen = new HashSet<>();
        for (int i = 0; i < draws; i++) {
            seen.add(sampler.next(LOGITS.clone(), new KvSequence(new long[] {0})));
        }
        return seen;
    }

    @Test
    void temperature_zero_takes_the_highest_logit() {
        assertEquals(1, pick(SamplingParams.GREEDY, new KvSequence(new long[] {0})));
    }

    @Test
    void repetition_penalty_divides_positive_and_multiplies_negative_logits_of_seen_tokens() {
        SamplingParams penalised = new SamplingParams(0, 1, 0, 1.5, null);
        // 3.0 / 1.5 = 2.0 falls below 2.9, so the runner-up wins.
        assertEquals(2, pick(penalised, new KvSequence(new long[] {1})));
        float[] logits = LOGITS.clone();
        new Sampler(penalised).next(logits, new KvSequence(new long[] {3, 3}));
        assertEquals(-1.5f, logits[3], 1e-6);
    }

    @Test
    void top_k_keeps_only_the_k_most_likely_tokens() {
        assertEquals(Set.of(1, 2), picks(new SamplingParams(5.0, 1, 2, 1, 3L), 300));
    }

    @Test
    void top_p_keeps_the_smallest_head_that_reaches_the_mass() {
        // At temperature 1, ids 1 and 2 hold about 0.8 of the mass: top_p 0.5 keeps ids 1 and 2.
        assertEquals(Set.of(1, 2), picks(new SamplingParams(1.0, 0.5, 0, 1, 4L), 300));
    }

    @Test
    void unfiltered_sampling_reaches_every_token() {
        assertTrue(picks(new SamplingParams(20.0, 1, 0, 1, 5L), 500).size() == LOGITS.length);
    }
}
