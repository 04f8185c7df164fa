package dev.infer.engine;

import java.util.List;

/**
 * Turns generated token ids into visible text, one token at a time. Decoding re-reads a short
 * window of ids (so SentencePiece's leading spaces and multi-token UTF-8 characters come out as
 * a full decode would give them), holds back a trailing U+FFFD until its character completes, and
 * holds back any tail that could still become a stop string. Not thread-safe.
 */
final class TextStream {
    /** Prompt tokens decoded in front of the first generated ones, for their leading space. */
    private static final int PROMPT_CONTEXT = 4;

    private final TextTokenizer tokenizer;
    private final KvSequence seq;
    private final List<String> stops;
    private final int longestStop;
    /** Window start: ids before it are settled into {@link #text}. */
    private int prefixStart;
    /** Ids from {@link #prefixStart} up to here are already in {@link #text}. */
    private int readStart;
    private final StringBuilder text = new StringBuilder();
    private int visible;
    private boolean stopped;

    TextStream(TextTokenizer tokenizer, KvSequence seq, int promptLength, List<String> stops) {
        this.tokenizer = tokenizer;
        this.seq = seq;
        this.stops = stops.stream().filter(s -> !s.isEmpty()).toList();
        this.longestStop = this.stops.stream().mapToInt(String::length).max().orElse(0);
        this.prefixStart = Math.max(0, promptLength - PROMPT_CONTEXT);
        this.readStart = promptLength;
    }

    /**
     * Takes in the ids appended to the sequence since the last call. Returns true when a stop
     * string appeared: the text then ends just before it.
     */
    boolean advance() {
        return advance(false);
    }

    /**
     * As {@link #advance()}, at the end of the generation: an incomplete character left at the
     * end is kept (as U+FFFD), since no more ids will complete it.
     */
    boolean finish() {
        return advance(true);
    }

    private boolean advance(boolean last) {
        if (stopped) {
            return true;
        }
        if (readStart == seq.length()) {
            return false;
        }
        String prefix = tokenizer.decode(seq.ids(prefixStart, readStart));
        String full = tokenizer.decode(seq.ids(prefixStart, seq.length()));
        if (full.length() <= prefix.length() || (!last && full.endsWith("\uFFFD"))) {
            // Nothing new yet, or a character still incomplete: wait for more ids.
            return false;
        }
        text.append(full, Math.min(prefix.length(), full.length()), full.length());
        prefixStart = readStart;
        readStart = seq.length();
        if (!stops.isEmpty()) {
            int from = Math.max(0, visible - longestStop);
            int at = -1;
            for (String stop : stops) {
                int i = text.indexOf(stop, from);
                if (i >= 0 && (at < 0 || i < at)) {
                    at = i;
                }
            }
            if (at >= 0) {
                text.setLength(at);
                visible = Math.min(visible, at);
                stopped = true;
                return true;
            }
        }
        return false;
    }

    /**
     * The text safe to show: all of it, less a tail that is the start of a stop string (when
     * {@code finished} is false). Never shrinks.
     */
    String visible(boolean finished) {
        int end = text.length();
        if (!finished && !stopped) {
            end -= heldForStop();
        }
        visible = Math.max(visible, end);
        return text.substring(0, visible);
    }

    /** All the text decoded so far, held-back tails included (the final text). */
    String text() {
        return text.toString();
    }

    private int heldForStop() {
        int held = 0;
        String tail = text.substring(Math.max(0, text.length() - longestStop));
        for (String stop : stops) {
            for (int k = Math.min(stop.length() - 1, tail.length()); k > held; k--) {
                if (tail.regionMatches(tail.length() - k, stop, 0, k)) {
                    held = k;
                    break;
                }
            }
        }
        return held;
    }
}
