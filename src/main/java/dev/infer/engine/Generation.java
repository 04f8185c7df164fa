package dev.infer.engine;

import java.util.concurrent.CompletableFuture;

/** A submitted generation: its result to come, and a way to stop it. */
public interface Generation {
    /**
     * Completes with the result, or exceptionally with an {@link EngineException}. A cancelled
     * generation completes normally with {@link FinishReason#CANCELLED}.
     */
    CompletableFuture<GenerationResult> result();

    /** Stops the generation at the next step (or interrupts a running step); idempotent. */
    void cancel();
}
