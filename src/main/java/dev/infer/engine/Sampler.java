package dev.infer.engine;

import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Chooses the next token from logits: repetition penalty, then greedy (temperature 0) or
 * temperature, top-k and top-p sampling. One instance per generation (it holds the generation's
 * random source); not thread-safe.
 */
final class Sampler {
    private final SamplingParams params;
    private final SplittableRandom random;

    Sampler(SamplingParams params) {
        this.params = params;
        this.random = params.seed() != null ? new SplittableRandom(params.seed())
                : new SplittableRandom();
    }

    /**
     * Picks a token. Greedy decoding without a repetition penalty only looks for the best score;
     * everything else works on a float copy of the scores.
     *
     * @param seq the tokens so far (prompt and generated): the repetition penalty applies to them
     */
    int next(Logits scores, KvSequence seq) {
        if (params.greedy() && params.repetitionPenalty() == 1) {
            return scores.argmax();
        }
        return next(scores.toFloats(), seq);
    }

    /**
     * Picks a token. {@code logits} is modified in place.
     *
     * @param seq the tokens so far (prompt and generated): the repetition penalty applies to them
     */
    int next(float[] logits, KvSequence seq) {
        double penalty = params.repetitionPenalty();
        if (penalty != 1) {
            // Hugging Face semantics: each token already present once, whatever its count;
            // positive logits are divided by the penalty, negative ones multiplied.
            boolean[] seen = new boolean[logits.length];
            for (int i = 0; i < seq.length(); i++) {
                int id = (int) seq.id(i);
                if (id >= 0 && id < logits.length && !seen[id]) {
                    seen[id] = true;
                    logits[id] = (float) (logits[id] < 0 ? logits[id] * penalty
                            : logits[id] / penalty);
                }
            }
        }
        if (params.greedy()) {
            return argmax(logits);
        }
        return sample(logits);
    }

    static int argmax(float[] logits) {
        return argmax(FloatBuffer.wrap(logits), 0, logits.length);
    }

    /**
     * The index (from {@code first}) of the highest of {@code n} scores in {@code scores}, the
     * first one on ties; a NaN never wins over an earlier value. Reads the buffer in place, so a
     * model's output is scanned without a copy.
     */
    static int argmax(FloatBuffer scores, int first, int n) {
        int best = 0;
        if (n == 0) {
            return best;
        }
        float max = scores.get(first);
        for (int i = 1; i < n; i++) {
            float v = scores.get(first + i);
            if (v > max) {
                max = v;
                best = i;
            }
        }
        return best;
    }

    private int sample(float[] logits) {
        int n = logits.length;
        int keep = params.topK() > 0 ? Math.min(params.topK(), n) : n;
        int[] order = descending(logits);
        double temperature = params.temperature();
        double max = logits[order[0]] / temperature;
        double[] probs = new double[keep];
        double sum = 0;
        for (int i = 0; i < keep; i++) {
            probs[i] = Math.exp(logits[order[i]] / temperature - max);
            sum += probs[i];
        }
        if (params.topP() < 1) {
            // Keep the smallest head of the distribution whose mass reaches top_p (at least one).
            double cumulative = 0;
            int cut = keep;
            for (int i = 0; i < keep; i++) {
                cumulative += probs[i] / sum;
                if (cumulative >= params.topP()) {
                    cut = i + 1;
                    break;
                }
            }
            keep = cut;
            sum = 0;
            for (int i = 0; i < keep; i++) {
                sum += probs[i];
            }
        }
        double u = random.nextDouble() * sum;
        for (int i = 0; i < keep; i++) {
            u -= probs[i];
            if (u < 0) {
                return order[i];
            }
        }
        return order[keep - 1];
    }

    // TODO: a full sort of the vocabulary per sampled token (about 1-3 ms at 32k ids); a partial
    // selection for top_k and a probability cut-off before sorting for top_p would make
    // non-greedy sampling on large vocabularies cheaper. Greedy decoding does not sort.
    /** Token ids by logit, highest first (ties by lower id), in one primitive sort. */
    private static int[] descending(float[] logits) {
        long[] keys = new long[logits.length];
        for (int i = 0; i < logits.length; i++) {
            // Flip the float's bits into an order-preserving int, negate for descending order,
            // and carry the index in the low half.
            int bits = Float.floatToIntBits(logits[i]);
            int sortable = bits < 0 ? ~bits : bits | Integer.MIN_VALUE;
            long high = ~(sortable ^ Integer.MIN_VALUE);
            keys[i] = (high << 32) | i;
        }
        Arrays.sort(keys);
        int[] order = new int[logits.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = (int) keys[i];
        }
        return order;
    }
}
