package dev.infer.engine;

import java.util.List;

/**
 * One generation: a prompt (already rendered with the chat template when it is a chat), how many
 * tokens at most, how to sample and when to stop.
 *
 * @param maxNewTokens the most tokens to generate, at least 1
 * @param stop strings that end the generation; the text returned stops before them
 * @param stopTokenIds token ids that end the generation, in addition to the model's EOS ids
 * @param echo whether the returned text starts with the prompt
 * @param ignoreEos whether the model's EOS ids are ignored, so that only {@code maxNewTokens},
 *     stop strings and {@code stopTokenIds} end the generation (for benchmarks that need a fixed
 *     number of tokens, as vLLM's {@code ignore_eos})
 */
public record GenerationRequest(
        String prompt,
        int maxNewTokens,
        SamplingParams sampling,
        List<String> stop,
        List<Integer> stopTokenIds,
        boolean echo,
        boolean ignoreEos) {

    public GenerationRequest {
        stop = stop == null ? List.of() : List.copyOf(stop);
        stopTokenIds = stopTokenIds == null ? List.of() : List.copyOf(stopTokenIds);
        sampling = sampling == null ? SamplingParams.GREEDY : sampling;
        if (prompt == null) {
            throw new IllegalArgumentException("prompt is required");
        }
        if (maxNewTokens < 1) {
            throw new IllegalArgumentException("max_new_tokens must be >= 1, got " + maxNewTokens);
        }
    }

    /** A request that stops at the model's EOS ids, as nearly every request does. */
    public GenerationRequest(String prompt, int maxNewTokens, SamplingParams sampling,
            List<String> stop, List<Integer> stopTokenIds, boolean echo) {
        this(prompt, maxNewTokens, sampling, stop, stopTokenIds, echo, false);
    }

    public static GenerationRequest greedy(String prompt, int maxNewTokens) {
        return new GenerationRequest(prompt, maxNewTokens, SamplingParams.GREEDY, List.of(), List.of(), false);
    }
}
