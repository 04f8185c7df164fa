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
 */
public record GenerationRequest(
        String prompt,
        int maxNewTokens,
        SamplingParams sampling,
        List<String> stop,
        List<Integer> stopTokenIds,
        boolean echo) {

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

    public static GenerationRequest greedy(String prompt, int maxNewTokens) {
        return new GenerationRequest(prompt, maxNewTokens, SamplingParams.GREEDY, List.of(), List.of(), false);
    }
}
