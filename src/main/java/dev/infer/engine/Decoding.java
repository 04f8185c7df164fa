package dev.infer.engine;

import java.util.HashSet;
import java.util.Set;

/**
 * One generation's state between forward passes: its tokens, sampler, text stream and listener.
 * Both ways of stepping use it: {@link GenerationLoop} (one sequence per thread) and
 * {@link BatchScheduler} (many sequences per forward pass), so a request behaves the same either
 * way.
 *
 * <p>The work per token has two halves. {@link #choose} samples the token and decides whether
 * the generation ends (stop token, token limit); {@link #show} turns the token into text, looks
 * for stop strings and tells the listener. {@link #accept} does both in turn, on one thread. The
 * batch scheduler runs {@code choose} on its own thread and {@code show} (in order, one token at
 * a time) on a text thread while the next forward pass runs; each half keeps its own copy of the
 * ids, and a stop string found by {@code show} reaches {@code choose}'s side through
 * {@link #stoppedByText}, one or two steps later (the extra tokens are neither shown nor counted).
 */
final class Decoding implements AutoCloseable {
    private final GenerationRequest request;
    private final long[] prompt;
    private final GenerationListener listener;
    private final RunningGeneration generation;
    private final long submitted;
    private final Set<Long> stopIds;
    private final KvSequence seq;
    private final Sampler sampler;
    /** The ids {@link #stream} decodes: the text side's own copy of {@link #seq}'s. */
    private final KvSequence textIds;
    private final TextStream stream;
    private int generated;
    private long firstToken;
    private String shown = "";
    private FinishReason reason;
    /** Set by the text side when a stop string ended the text; then {@link #textTokens} counts. */
    private volatile boolean stoppedByText;
    private int textTokens;
    private volatile boolean failed;

    Decoding(TextTokenizer tokenizer, Set<Long> eosIds, GenerationRequest request, long[] prompt,
            GenerationListener listener, RunningGeneration generation, long submitted) {
        this.request = request;
        this.prompt = prompt;
        this.listener = listener;
        this.generation = generation;
        this.submitted = submitted;
        this.stopIds = request.ignoreEos() ? new HashSet<>() : new HashSet<>(eosIds);
        request.stopTokenIds().forEach(id -> stopIds.add(id.longValue()));
        this.seq = new KvSequence(prompt);
        this.textIds = new KvSequence(prompt);
        this.sampler = new Sampler(request.sampling());
        this.stream = new TextStream(tokenizer, textIds, prompt.length, request.stop());
    }

    KvSequence sequence() {
        return seq;
    }

    RunningGeneration generation() {
        return generation;
    }

    int promptLength() {
        return prompt.length;
    }

    /** True once {@link #accept} saw a stop, the token limit, or {@link #cancel} was called. */
    boolean finished() {
        return reason != null;
    }

    /**
     * Takes the logits for this sequence's next token: samples, appends, streams the new text.
     * Returns true when the generation is finished (stop token, stop string or token limit); the
     * sampled token is then not appended when it is a stop token.
     */
    boolean accept(float[] logits) {
        return accept(Logits.of(logits));
    }

    /** As {@link #accept(float[])}, reading the scores only as far as sampling needs. */
    boolean accept(Logits logits) {
        int token = choose(logits);
        show(token, generated);
        if (stoppedByText) {
            reason = FinishReason.STOP;
        }
        return reason != null;
    }

    /**
     * The sampling half of {@link #accept}: picks the next token and appends it (unless it is a
     * stop token). Afterwards {@link #finished()} says whether the generation ends with it.
     *
     * @return the token, to be handed to {@link #show} with {@link #generated()}
     */
    int choose(Logits logits) {
        int token = sampler.next(logits, seq);
        generated++;
        if (firstToken == 0) {
            firstToken = System.nanoTime() - submitted;
        }
        if (stopIds.contains((long) token)) {
            reason = FinishReason.STOP;
        } else {
            seq.append(token);
            if (generated >= request.maxNewTokens()) {
                reason = FinishReason.LENGTH;
            }
        }
        return token;
    }

    /** The tokens chosen so far. */
    int generated() {
        return generated;
    }

    /**
     * The text half of {@link #accept}: decodes {@code token} (the {@code count}th chosen), holds
     * back what could still become a stop string, and tells the listener about new text. Calls
     * must come in the order the tokens were chosen; a stop token shows nothing.
     */
    void show(int token, int count) {
        if (stoppedByText || stopIds.contains((long) token)) {
            return;
        }
        textIds.append(token);
        boolean stopString = stream.advance();
        String visible = stream.visible(stopString);
        if (visible.length() > shown.length()) {
            listener.onText(visible, visible.substring(shown.length()), count);
            shown = visible;
        }
        if (stopString) {
            textTokens = count;
            stoppedByText = true;
        }
    }

    /** True once {@link #show} met a stop string: the sequence should end at the next step. */
    boolean stoppedByText() {
        return stoppedByText;
    }

    /** Marks the generation as failed outside the forward pass (its listener threw). */
    void markFailed() {
        failed = true;
    }

    /** True after {@link #markFailed()}: the generation is already completed with its error. */
    boolean failed() {
        return failed;
    }

    /** Ends the generation as cancelled (before its limit or a stop). */
    void cancel() {
        reason = FinishReason.CANCELLED;
    }

    /** The last token appended, which the next forward pass feeds. */
    long lastToken() {
        return seq.id(seq.length() - 1);
    }

    /** Flushes held-back text and builds the result; call once, after {@link #finished()}. */
    GenerationResult result() {
        FinishReason end = stoppedByText ? FinishReason.STOP
                : reason == null ? FinishReason.LENGTH : reason;
        int count = stoppedByText ? textTokens : generated;
        if (end != FinishReason.STOP && stream.finish()) {
            end = FinishReason.STOP;
        }
        String text = stream.text();
        if (text.length() > shown.length() && end != FinishReason.CANCELLED) {
            listener.onText(text, text.substring(shown.length()), count);
        }
        String full = request.echo() ? request.prompt() + text : text;
        return new GenerationResult(full, prompt.length, count, end, firstToken,
                System.nanoTime() - submitted);
    }

    /** Completes the generation's future with {@link #result()}. */
    void complete() {
        generation.result().complete(result());
    }

    @Override
    public void close() {
        seq.close();
        textIds.close();
    }
}
