package dev.infer.engine;

/**
 * Receives a generation's progress. Called on the engine's thread, in order, one call at a time:
 * implementations must return quickly and must not block (hand the text to a queue).
 */
public interface GenerationListener {
    /**
     * New text is visible. {@code text} is everything generated so far; it never ends in half a
     * UTF-8 character and never shows a stop string.
     *
     * @param tokens tokens generated so far
     */
    void onText(String text, String delta, int tokens);

    GenerationListener NONE = (text, delta, tokens) -> {};
}
