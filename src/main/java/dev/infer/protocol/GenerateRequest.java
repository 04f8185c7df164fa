package dev.infer.protocol;

import com.fasterxml.jackson.annotation.JsonFormat;
import java.util.List;

/**
 * Body of {@code /worker_generate_stream} and {@code /worker_generate}: FastChat's generate
 * parameters, plus {@code messages} as an alternative to a pre-rendered {@code prompt}. Fields
 * are boxed: null means "not given", and the worker fills in the model's defaults.
 *
 * <p>{@code stop} may be one string or a list, as FastChat accepts both. {@code ignore_eos}
 * (an extension, as in vLLM) generates past the model's EOS tokens, up to {@code max_new_tokens}
 * or a stop string or id.
 */
public record GenerateRequest(
        String model,
        String prompt,
        List<ChatMessage> messages,
        Double temperature,
        Double topP,
        Integer topK,
        Double repetitionPenalty,
        Integer maxNewTokens,
        @JsonFormat(with = JsonFormat.Feature.ACCEPT_SINGLE_VALUE_AS_ARRAY) List<String> stop,
        List<Integer> stopTokenIds,
        Boolean echo,
        Long seed,
        Integer logprobs,
        Boolean ignoreEos) {

    /** A request with just a prompt and a token limit; the rest take the worker's defaults. */
    public static GenerateRequest ofPrompt(String model, String prompt, int maxNewTokens) {
        return new GenerateRequest(model, prompt, null, null, null, null, null, maxNewTokens,
                null, null, null, null, null, null);
    }
}
