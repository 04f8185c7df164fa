package dev.infer.worker;

import dev.infer.protocol.ErrorCode;
import dev.infer.protocol.ProtocolException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Admission control for one worker: at most {@code limit} requests run at once, at most
 * {@code maxQueue} more wait their turn in arrival order, and anything beyond that is refused at
 * once with 42903. Free of HTTP, so the queue logic can be reasoned about (and tested) alone.
 *
 * <p>Lifecycle: {@link #close()} stops taking new work (the draining state) while admitted requests
 * still get their turn; {@link #abort()} then fails whoever is still waiting. Thread-safe.
 */
public final class Admission {
    private final int limit;
    private final int maxQueue;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final Deque<Ticket> waiting = new ArrayDeque<>();
    private int running;
    private boolean closed;
    private boolean aborted;

    public Admission(int limit, int maxQueue) {
        if (limit < 1) {
            throw new IllegalArgumentException("limit-concurrency must be >= 1, got " + limit);
        }
        if (maxQueue < 0) {
            throw new IllegalArgumentException("max-queue must be >= 0, got " + maxQueue);
        }
        this.limit = limit;
        this.maxQueue = maxQueue;
    }

    /**
     * Admits a request into the queue, or refuses it without waiting: 42903 (HTTP 429) when
     * {@code limit + maxQueue} requests are already in, 503 while the worker shuts down.
     */
    public Ticket enter() {
        lock.lock();
        try {
            if (closed) {
                throw shuttingDown();
            }
            if (running + waiting.size() >= limit + maxQueue) {
                throw new ProtocolException(ErrorCode.ENGINE_OVERLOADED, "worker overloaded: "
                        + running + " running and " + waiting.size()
                        + " waiting (limit-concurrency " + limit + ", max-queue " + maxQueue
                        + "); retry later");
            }
            Ticket t = new Ticket();
            waiting.addLast(t);
            return t;
        } finally {
            lock.unlock();
        }
    }

    /** Requests running plus waiting: what the worker reports as {@code queue_length}. */
    public int queueLength() {
        lock.lock();
        try {
            return running + waiting.size();
        } finally {
            lock.unlock();
        }
    }

    public int running() {
        lock.lock();
        try {
            return running;
        } finally {
            lock.unlock();
        }
    }

    public int limit() {
        return limit;
    }

    /** Stops admitting new requests; those already in keep their place. Idempotent. */
    public void close() {
        lock.lock();
        try {
            closed = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Closes, and makes every request still waiting for its turn fail with 503. */
    public void abort() {
        lock.lock();
        try {
            closed = true;
            aborted = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    public boolean isClosed() {
        lock.lock();
        try {
            return closed;
        } finally {
            lock.unlock();
        }
    }

    /** Waits until nothing runs or waits; true if that happened within {@code timeout}. */
    public boolean awaitIdle(Duration timeout) throws InterruptedException {
        long nanos = timeout.toNanos();
        lock.lock();
        try {
            while (running + waiting.size() > 0) {
                if (nanos <= 0) {
                    return false;
                }
                nanos = changed.awaitNanos(nanos);
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    static ProtocolException shuttingDown() {
        return new ShuttingDown();
    }

    /** Refusal because the worker is shutting down; answered with HTTP 503. */
    static final class ShuttingDown extends ProtocolException {
        private static final long serialVersionUID = 1L;

        ShuttingDown() {
            super(
                    ErrorCode.ENGINE_OVERLOADED,
                    "worker is shutting down; send the request to another worker");
        }
    }

    /** One admitted request. Close it when the request ends, whether it ran or not. */
    public final class Ticket implements AutoCloseable {
        private boolean holdsSlot;
        private boolean done;

        private Ticket() {}

        /**
         * Waits for a free slot, first come first served.
         *
         * @return true once the request may run; false when {@code timeout} passed first (call
         *     again to keep waiting)
         * @throws ProtocolException 503 when the worker aborted the queue while shutting down
         */
        public boolean awaitTurn(Duration timeout) throws InterruptedException {
            long nanos = timeout.toNanos();
            lock.lock();
            try {
                while (!holdsSlot) {
                    if (aborted) {
                        throw shuttingDown();
                    }
                    if (running < limit && waiting.peekFirst() == this) {
                        waiting.removeFirst();
                        running++;
                        holdsSlot = true;
                        // The next in line may be able to run too.
                        changed.signalAll();
                        break;
                    }
                    if (nanos <= 0) {
                        return false;
                    }
                    nanos = changed.awaitNanos(nanos);
                }
                return true;
            } finally {
                lock.unlock();
            }
        }

        /** Waits as long as it takes (bounded only by the requests ahead finishing). */
        public void awaitTurn() throws InterruptedException {
            boolean turn = false;
            while (!turn) {
                turn = awaitTurn(Duration.ofSeconds(1));
            }
        }

        /** Leaves the queue or frees the slot; idempotent. */
        @Override
        public void close() {
            lock.lock();
            try {
                if (done) {
                    return;
                }
                done = true;
                if (holdsSlot) {
                    running--;
                } else {
                    waiting.remove(this);
                }
                changed.signalAll();
            } finally {
                lock.unlock();
            }
        }
    }
}
