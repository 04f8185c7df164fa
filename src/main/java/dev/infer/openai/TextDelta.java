package dev.infer.openai;

/**
 * Turns FastChat's cumulative {@code text} (the whole output so far) into OpenAI's deltas. A text
 * ending in U+FFFD is held back until the next chunk: the worker decodes tokens one by one, and a
 * character split across tokens shows up as a replacement character until its last byte arrives.
 * Not thread-safe; one per choice.
 */
final class TextDelta {
    private static final char REPLACEMENT = '\uFFFD';
    private String sent = "";

    /** The part of {@code text} not sent yet ("" when none); {@code last} releases held text. */
    String next(String text, boolean last) {
        if (text == null || (!last && !text.isEmpty() && text.charAt(
                text.length() - 1) == REPLACEMENT)) {
            return "";
        }
        if (!text.startsWith(sent)) {
            // The worker rewrote earlier output (a stop string trimmed away): nothing sent can be
            // taken back, so only text beyond what was already sent is passed on.
            return text.length() > sent.length() ? remember(text,
                    text.substring(sent.length())) : "";
        }
        return remember(text, text.substring(sent.length()));
    }

    /** Everything sent so far. */
    String text() {
        return sent;
    }

    private String remember(String text, String delta) {
        sent = text;
        return delta;
    }
}
