package dev.infer.engine;

/** Why a generation ended. */
public enum FinishReason {
    /** An EOS token, a stop token id or a stop string. */
    STOP,
    /** {@code maxNewTokens} reached, or the context window is full. */
    LENGTH,
    /** Cancelled by the caller (client gone, drain timeout). */
    CANCELLED;

    /** The word FastChat and OpenAI use. */
    public String wireName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
