package dev.infer.engine;

/**
 * One sequence's scores for its next token, read only as far as the sampler needs: greedy
 * decoding asks for the best index alone, which a batched step answers straight from the model's
 * output buffer (fp16 included) without widening a whole vocabulary row to floats first. A view
 * of a step's output is valid only until the next step of the same model.
 */
interface Logits {
    /** The index of the highest score, the first one on ties; as {@link Sampler#argmax}. */
    int argmax();

    /** A fresh float copy of the scores, which the caller may modify. */
    float[] toFloats();

    /** Scores already held as floats; {@link #toFloats} hands out the array itself. */
    static Logits of(float[] values) {
        return new Logits() {
            @Override
            public int argmax() {
                return Sampler.argmax(values);
            }

            @Override
            public float[] toFloats() {
                return values;
            }
        };
    }
}
