package dev.infer.chat;

/**
 * One finished (or stopped) answer.
 *
 * @param finishReason {@code stop}, {@code length} or {@code cancelled}
 * @param promptTokens tokens of the rendered conversation, or -1 when the backend did not say
 * @param completionTokens tokens generated, or -1 when the backend did not say
 */
public record Answer(String text, String model, String finishReason, int promptTokens,
        int completionTokens) {
    public static final String CANCELLED = "cancelled";

    public boolean cancelled() {
        return CANCELLED.equals(finishReason);
    }
}
