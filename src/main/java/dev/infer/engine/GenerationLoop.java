package dev.infer.engine;

import ai.onnxruntime.OrtException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One generation from prompt to finish on its own thread, one sequence per forward pass: step,
 * then let {@link Decoding} sample, decode and stream. Completes the generation's future exactly
 * once, whatever happens. Used when batching is off or the model cannot batch.
 */
final class GenerationLoop implements Runnable {
    private static final Logger log = LoggerFactory.getLogger(GenerationLoop.class);

    private final DecoderStep step;
    private final Decoding decoding;

    GenerationLoop(DecoderStep step, Decoding decoding) {
        this.step = step;
        this.decoding = decoding;
    }

    @Override
    public void run() {
        RunningGeneration generation = decoding.generation();
        try (decoding) {
            generate(generation);
            decoding.complete();
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

    private void generate(RunningGeneration generation) throws OrtException {
        while (!decoding.finished()) {
            if (generation.cancelled()) {
                decoding.cancel();
                return;
            }
            float[] logits;
            try {
                logits = step.run(decoding.sequence(), generation.runOptions());
            } catch (OrtException e) {
                if (!generation.cancelled()) {
                    throw e;
                }
                // The terminate flag aborted the run in progress: that is a normal cancel.
                decoding.cancel();
                return;
            }
            decoding.accept(logits);
        }
    }
}
