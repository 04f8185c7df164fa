package dev.infer.worker;

import dev.infer.engine.GenerationListener;
import dev.infer.engine.GenerationResult;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Hands a generation's progress from the engine's thread to the thread writing the response.
 * Because FastChat's {@code text} is the whole output so far, only the newest text matters: a
 * slow reader gets fewer, larger steps instead of a growing backlog, and the engine never blocks.
 *
 * <p>The writer may also ask for progress no earlier than a given time ({@link #next}'s
 * {@code notBefore}): text that arrives sooner waits, without waking the writer, and goes out
 * together at that time. The end of the generation is never held back.
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
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private String text;
    private int tokens;
    private boolean fresh;
    private Event end;
    /** True while the writer waits in {@link #next}. */
    private boolean waiting;
    /** While {@link #waiting}: new text wakes the writer only from this time on. */
    private long readyAt;

    /** @param also a listener told first, on the engine's thread (metrics) */
    ChunkRelay(GenerationListener also) {
        this.also = also;
    }

    @Override
    public void onText(String text, String delta, int tokens) {
        also.onText(text, delta, tokens);
        lock.lock();
        try {
            this.text = text;
            this.tokens = tokens;
            this.fresh = true;
            if (waiting && System.nanoTime() - readyAt >= 0) {
                changed.signal();
            }
        } finally {
            lock.unlock();
        }
    }

    /** Records the end of the generation (from the result future's completion). */
    void finish(GenerationResult result, Throwable error) {
        lock.lock();
        try {
            end = error != null ? new Failed(error) : new Done(result);
            changed.signal();
        } finally {
            lock.unlock();
        }
    }

    /** True while a writer waits in {@link #next} (for tests). */
    boolean writerWaiting() {
        lock.lock();
        try {
            return waiting;
        } finally {
            lock.unlock();
        }
    }

    /**
     * The next event: the end once known (it carries the final text, so unsent progress is not
     * needed), otherwise the newest text not yet taken, once {@link System#nanoTime()} has
     * reached {@code notBefore}; null when {@code timeoutNanos} pass with neither.
     */
    Event next(long timeoutNanos, long notBefore) throws InterruptedException {
        lock.lock();
        try {
            long deadline = System.nanoTime() + timeoutNanos;
            while (true) {
                if (end != null) {
                    return end;
                }
                long now = System.nanoTime();
                boolean early = now - notBefore < 0;
                if (fresh && !early) {
                    fresh = false;
                    return new Progress(text, tokens);
                }
                if (!early && now - deadline >= 0) {
                    return null;
                }
                readyAt = notBefore;
                waiting = true;
                try {
                    changed.awaitNanos(early ? notBefore - now : deadline - now);
                } finally {
                    waiting = false;
                }
            }
        } finally {
            lock.unlock();
        }
    }
}
