package dev.infer.worker;

import dev.infer.engine.GenerationListener;
import dev.infer.engine.GenerationResult;

/**
 * Hands a generation's progress from the engine's thread to the thread writing the response.
 * Because FastChat's {@code text} is the whole output so far, only the newest text matters: a
 * slow reader gets fewer, larger steps instead of a growing backlog, and the engine never blocks.
 */
final class ChunkRelay implements GenerationListener {
    /** What the writer sees next. */
    sealed interface Event permits Progress, Done, Failed {}

    /** Newer text: everything generated so far, and its token count. */
    record Progress(String text, int tokens) implements Event {}

    /** The generation ended normally (possibly cancelled). */
    record Done(GenerationResult result) implements Event {}

    /** The generation failed. */
    record Failed(Throwable error) implements Event {}

    private final GenerationListener also;
    private String text;
    private int tokens;
    private boolean fresh;
    private Event end;

    /** @param also a listener told first, on the engine's thread (metrics) */
    ChunkRelay(GenerationListener also) {
        this.also = also;
    }

    @Override
    public void onText(String text, String delta, int tokens) {
        also.onText(text, delta, tokens);
        synchronized (this) {
            this.text = text;
            this.tokens = tokens;
            this.fresh = true;
            notifyAll();
        }
    }

    /** Records the end of the generation (from the result future's completion). */
    synchronized void finish(GenerationResult result, Throwable error) {
        end = error != null ? new Failed(error) : new Done(result);
        notifyAll();
    }

    /**
     * The next event: the end once known (it carries the final text, so unsent progress is not
     * needed), otherwise the newest text not yet taken; null when {@code timeoutNanos} passes
     * first.
     */
    synchronized Event next(long timeoutNanos) throws InterruptedException {
        long deadline = System.nanoTime() + timeoutNanos;
        while (end == null && !fresh) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return null;
            }
            java.util.concurrent.TimeUnit.NANOSECONDS.timedWait(this, left);
        }
        if (end != null) {
            return end;
        }
        fresh = false;
        return new Progress(text, tokens);
    }
}
