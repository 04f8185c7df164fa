package dev.infer.engine;

import java.util.HashSet;
import java.util.Set;

/**
 * One generation's state between forward passes: its tokens, sampler, text stream and listener.
 * Both ways of stepping use it: {@link GenerationLoop} (one sequence per thread) and
 * {@link BatchScheduler} (many sequences per forward pass), so a request behaves the same either
 * way. Not thread-safe: one thread at a time drives it.
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
    private final TextStream stream;
    private int generated;
    private long firstToken;
    private String shown = "";
    private FinishReason reason;

    Decoding(TextTokenizer tokenizer, Set<Long> eosIds, GenerationRequest request, long[] prompt,
            GenerationListener listener, RunningGeneration generation, long submitted) {
        this.request = request;
        this.prompt = prompt;
        this.listener = listener;
        this.generation = generation;
        this.submitted = submitted;
        this.stopIds = new HashSet<>(eosIds);
        request.stopTokenIds().forEach(id -> stopIds.add(id.longValue()));
        this.seq = new KvSequence(prompt);
        this.sampler = new Sampler(request.sampling());
        this.stream = new TextStream(tokenizer, seq, prompt.length, request.stop());
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
        int token = sampler.next(logits, seq);
        generated++;
        if (firstToken == 0) {
            firstToken = System.nanoTime() - submitted;
        }
        if (stopIds.contains((long) token)) {
            reason = FinishReason.STOP;
            return true;
        }
        seq.append(token);
        boolean stopString = stream.advance();
        String visible = stream.visible(stopString);
        if (visible.length() > shown.length()) {
            listener.onText(visible, visible.substring(shown.length()), generated);
            shown = visible;
        }
        if (stopString) {
            reason = FinishReason.STOP;
        } else if (generated >= request.maxNewTokens()) {
            reason = FinishReason.LENGTH;
        }
        return reason != null;
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
        FinishReason end = reason == null ? FinishReason.LENGTH : reason;
        if (end != FinishReason.STOP && stream.finish()) {
            end = FinishReason.STOP;
        }
        String text = stream.text();
        if (text.length() > shown.length() && end != FinishReason.CANCELLED) {
            listener.onText(text, text.substring(shown.length()), generated);
        }
        String full = request.echo() ? request.prompt() + text : text;
        return new GenerationResult(full, prompt.length, generated, end, firstToken,
                System.nanoTime() - submitted);
    }

    /** Completes the generation's future with {@link #result()}. */
    void complete() {
        generation.result().complete(result());
    }

    @Override
    public void close() {
        seq.close();
    }
}
