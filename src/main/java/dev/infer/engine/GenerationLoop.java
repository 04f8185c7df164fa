package dev.infer.engine;

import ai.onnxruntime.OrtException;
import java.util.HashSet;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One generation from prompt to finish: step, sample, decode, tell the listener, stop. Runs on
 * its own thread and completes the generation's future exactly once, whatever happens.
 */
final class GenerationLoop implements Runnable {
    private static final Logger log = LoggerFactory.getLogger(GenerationLoop.class);

    private final DecoderStep step;
    private final TextTokenizer tokenizer;
    private final Set<Long> stopIds;
    private final GenerationRequest request;
    private final long[] prompt;
    private final GenerationListener listener;
    private final RunningGeneration generation;
    private final long submitted;

    GenerationLoop(DecoderStep step, TextTokenizer tokenizer, Set<Long> eosIds,
            GenerationRequest request, long[] prompt, GenerationListener listener,
            RunningGeneration generation, long submitted) {
        this.step = step;
        this.tokenizer = tokenizer;
        this.stopIds = new HashSet<>(eosIds);
        request.stopTokenIds().forEach(id -> stopIds.add(id.longValue()));
        this.request = request;
        this.prompt = prompt;
        this.listener = listener;
        this.generation = generation;
        this.submitted = submitted;
    }

    @Override
    public void run() {
        try (KvSequence seq = new KvSequence(prompt)) {
            generation.result().complete(generate(seq));
        } catch (OrtException e) {
            log.warn("generation failed in ONNX Runtime: {}", e.getMessage());
            generation.result().completeExceptionally(new EngineException(
                    EngineException.Reason.RUNTIME, "ONNX Runtime failed: " + e.getMessage(), e));
        } catch (RuntimeException | Error e) {
            log.warn("generation failed", e);
            generation.result().completeExceptionally(e instanceof EngineException ? e
                    : new EngineException(EngineException.Reason.RUNTIME,
                            "generation failed: " + e, e));
        }
    }

    private GenerationResult generate(KvSequence seq) throws OrtException {
        Sampler sampler = new Sampler(request.sampling());
        TextStream stream = new TextStream(tokenizer, seq, prompt.length, request.stop());
        int generated = 0;
        long firstToken = 0;
        String shown = "";
        FinishReason reason = FinishReason.LENGTH;
        while (generated < request.maxNewTokens()) {
            if (generation.cancelled()) {
                reason = FinishReason.CANCELLED;
                break;
            }
            float[] logits;
            try {
                logits = step.run(seq, generation.runOptions());
            } catch (OrtException e) {
                if (!generation.cancelled()) {
                    throw e;
                }
                // The terminate flag aborted the run in progress: that is a normal cancel.
                reason = FinishReason.CANCELLED;
                break;
            }
            int token = sampler.next(logits, seq);
            generated++;
            if (firstToken == 0) {
                firstToken = System.nanoTime() - submitted;
            }
            if (stopIds.contains((long) token)) {
                reason = FinishReason.STOP;
                break;
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
                break;
            }
        }
        if (reason != FinishReason.STOP && stream.finish()) {
            reason = FinishReason.STOP;
        }
        String text = stream.text();
        if (text.length() > shown.length() && reason != FinishReason.CANCELLED) {
            listener.onText(text, text.substring(shown.length()), generated);
        }
        return result(text, generated, reason, firstToken);
    }

    private GenerationResult result(String text, int generated, FinishReason reason,
            long firstToken) {
        String full = request.echo() ? request.prompt() + text : text;
        return new GenerationResult(full, prompt.length, generated, reason, firstToken,
                System.nanoTime() - submitted);
    }
}
