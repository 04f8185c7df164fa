package dev.infer.engine;

/**
 * How the next token is chosen. Temperature 0 is greedy decoding; {@code topK} 0 and {@code topP}
 * 1 disable those filters; {@code repetitionPenalty} 1 disables the penalty; a non-null seed makes
 * sampling reproducible.
 */
public record SamplingParams(double temperature, double topP, int topK, double repetitionPenalty, Long seed) {
    public static final SamplingParams GREEDY = new SamplingParams(0, 1, 0, 1, null);

    public SamplingParams {
        if (!(temperature >= 0) || !Double.isFinite(temperature)) {
            throw new IllegalArgumentException("temperature must be a finite number >= 0, got " + temperature);
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new IllegalArgumentException("top_p must be in (0, 1], got " + topP);
        }
        if (topK < 0) {
            throw new IllegalArgumentException("top_k must be >= 0, got " + topK);
        }
        if (!(repetitionPenalty > 0) || !Double.isFinite(repetitionPenalty)) {
            throw new IllegalArgumentException("repetition_penalty must be a finite number > 0, got " + repetitionPenalty);
        }
    }

    public boolean greedy() {
        return temperature == 0;
    }
}
