package dev.infer.engine;

import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.util.concurrent.CompletableFuture;

/**
 * A generation in flight: its future, its cancel flag, and the run options through which a
 * cancel terminates an ONNX Runtime call already running. The run options belong to this object
 * and are closed by the generation thread when it ends. A generation in a batch has no run options
 * of its own (terminating the shared call would stop the others): its cancel flag is read before
 * each batched step, so it leaves the batch at the next step.
 */
final class RunningGeneration implements Generation {
    private final CompletableFuture<GenerationResult> result = new CompletableFuture<>();
    private final OrtSession.RunOptions runOptions;
    private volatile boolean cancelled;
    private boolean optionsClosed;

    RunningGeneration() throws OrtException {
        this.runOptions = new OrtSession.RunOptions();
    }

    private RunningGeneration(OrtSession.RunOptions runOptions) {
        this.runOptions = runOptions;
    }

    /** A generation stepped in a batch: cancelling only sets the flag. */
    static RunningGeneration inBatch() {
        return new RunningGeneration(null);
    }

    @Override
    public CompletableFuture<GenerationResult> result() {
        return result;
    }

    @Override
    public void cancel() {
        cancelled = true;
        synchronized (this) {
            if (!optionsClosed && runOptions != null) {
                try {
                    runOptions.setTerminate(true);
                } catch (OrtException e) {
                    // The flag above still stops the loop at the next step.
                }
            }
        }
    }

    boolean cancelled() {
        return cancelled;
    }

    OrtSession.RunOptions runOptions() {
        return runOptions;
    }

    /** Releases the run options; after this, cancel() only sets the flag. */
    synchronized void closeOptions() {
        if (!optionsClosed) {
            optionsClosed = true;
            if (runOptions != null) {
                runOptions.close();
            }
        }
    }
}
