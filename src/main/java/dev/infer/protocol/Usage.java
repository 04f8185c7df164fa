package dev.infer.protocol;

/** Token counts, as FastChat reports them on every chunk. */
public record Usage(int promptTokens, int completionTokens, int totalTokens) {
    public static Usage of(int prompt, int completion) {
        return new Usage(prompt, completion, prompt + completion);
    }
}
