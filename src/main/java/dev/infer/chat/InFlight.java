package dev.infer.chat;

/**
 * Cancellation of a blocking HTTP stream read on the caller's thread: {@link #cancel} marks the
 * answer cancelled and interrupts the reading thread, which makes the JDK client's blocking read
 * fail at once. The interrupt never outlives the answer: {@link #end} clears it under the same
 * lock, so a late Ctrl-C cannot disturb the next prompt. Thread-safe.
 */
final class InFlight {
    private Thread reader;
    private boolean cancelled;

    /** Marks the calling thread as reading an answer. */
    synchronized void begin() {
        reader = Thread.currentThread();
        cancelled = false;
    }

    /** Whether the answer in progress (or just ended) was cancelled. */
    synchronized boolean cancelled() {
        return cancelled;
    }

    synchronized void cancel() {
        if (reader != null && !cancelled) {
            cancelled = true;
            reader.interrupt();
        }
    }

    /** Ends the answer on the calling thread and clears any interrupt {@link #cancel} left. */
    synchronized void end() {
        if (reader == Thread.currentThread()) {
            reader = null;
            Thread.interrupted();
        }
    }
}
