package dev.infer.engine;

import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Continuous batching for one model: a single thread steps every active sequence together, one
 * ONNX Runtime call per step, while requests join and leave between steps.
 *
 * <p>Each iteration: (1) sequences whose generation was cancelled leave; (2) waiting requests
 * join, as many as the batch has room for and the prefill token budget allows (the padded
 * prompt tokens of one prefill call; the first one always joins, however long its prompt), and
 * are prefilled together in one call that also gives them their first token; (3) the cache is
 * recomposed if the members changed (see {@link KvBatch}); (4) one decode call feeds every
 * member its last token; members that finish (stop, stop string, token limit) complete at once
 * and leave before the next step. Sampling, stop strings, seeds and streaming are per request,
 * in {@link Decoding}, exactly as when a sequence runs alone.
 *
 * <p>Two threads per model share the work. The batch thread runs the forward passes and picks
 * each row's token ({@link Decoding#choose}), which is all the next pass needs; the text thread
 * then decodes those tokens to text, looks for stop strings, calls the listeners and completes
 * finished generations ({@link Decoding#show}), in the order the batch thread handed them over,
 * while the next pass already runs. A stop string therefore ends its sequence one or two steps
 * after the token that completed it; the extra tokens are computed but neither shown nor counted.
 * The hand-over queue is short ({@value #TEXT_BACKLOG} steps), so a slow listener slows the batch
 * instead of piling up text. A batch of one row does its text work itself when the text
 * thread is idle: there the hand-over would cost more than it saves.
 *
 * <p>TODO: prefill and decode are separate calls and a prompt is prefilled whole, so a long
 * prompt stalls every running sequence for its prefill; chunked prefill mixed into the decode
 * call would bound that stall.
 *
 * <p>A failed call fails the requests in it (their caches are gone) and the scheduler carries on
 * with the next ones. {@link #close()} terminates the call in flight and cancels everyone.
 */
final class BatchScheduler implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(BatchScheduler.class);
    /** Steps of text work the batch thread may run ahead of the text thread. */
    static final int TEXT_BACKLOG = 4;
    /** Batches this small do their text work on the batch thread (see {@link #handOver}). */
    private static final int INLINE_ROWS = 1;
    private static final Runnable STOP_TEXT = () -> { };
    /**
     * How long an idle model keeps its cache buffers. Requests that come in bursts (a client's
     * next batch, a benchmark's next round) then reuse them: allocating and zeroing them again
     * cost 13% of the batch thread on the demo model when every burst started from nothing.
     */
    static final long KEEP_IDLE_CACHE_NANOS = TimeUnit.SECONDS.toNanos(2);

    private final String model;
    private final BatchedStep step;
    private final KvBatch batch;
    private final KvBatch prefill;
    private final int maxBatchSize;
    private final int maxBatchTokens;
    private final OrtSession.RunOptions runOptions;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition work = lock.newCondition();
    private final Deque<Decoding> pending = new ArrayDeque<>();
    /** Row r of {@link #batch} is member r. Only the scheduler thread touches it. */
    private List<Decoding> members = new ArrayList<>();
    private final Thread thread;
    private final Thread textThread;
    private final BlockingQueue<Runnable> textWork = new ArrayBlockingQueue<>(TEXT_BACKLOG);
    /** Steps handed to the text thread and not yet done. */
    private final AtomicInteger unfinishedText = new AtomicInteger();
    /** The text work of the step being prepared; handed over at the end of the iteration. */
    private List<Runnable> stepText = new ArrayList<>();
    private volatile boolean closed;
    /** The most sequences one decode call has held so far (for tests and diagnostics). */
    private volatile int largestBatch;

    BatchScheduler(String model, BatchedStep step, List<DecoderIo.KvPair> pairs,
            int maxBatchSize, int maxBatchTokens) throws OrtException {
        this.model = model;
        this.step = step;
        this.batch = new KvBatch(pairs);
        this.prefill = new KvBatch(pairs);
        this.maxBatchSize = maxBatchSize;
        this.maxBatchTokens = maxBatchTokens;
        this.runOptions = new OrtSession.RunOptions();
        this.textThread = new Thread(this::textLoop, "infer-text-" + model);
        textThread.setDaemon(true);
        textThread.start();
        this.thread = new Thread(this::loop, "infer-batch-" + model);
        thread.setDaemon(true);
        thread.start();
    }

    /** The most sequences one decode call held since the last call of this method. */
    int takeLargestBatch() {
        int n = largestBatch;
        largestBatch = 0;
        return n;
    }

    /** Queues a generation to join at the next step. */
    void submit(Decoding decoding) {
        lock.lock();
        try {
            if (closed) {
                throw new EngineException(EngineException.Reason.CLOSED,
                        "model " + model + " is closing");
            }
            pending.addLast(decoding);
            work.signal();
        } finally {
            lock.unlock();
        }
    }

    private void loop() {
        try {
            while (true) {
                List<Decoding> joiners = new ArrayList<>();
                List<Decoding> dropped = new ArrayList<>();
                lock.lock();
                try {
                    long keep = KEEP_IDLE_CACHE_NANOS;
                    while (!closed && pending.isEmpty() && members.isEmpty()) {
                        if (keep <= 0) {
                            work.await();
                        } else if ((keep = work.awaitNanos(keep)) <= 0
                                && pending.isEmpty() && members.isEmpty()) {
                            // Idle for a while: an idle model keeps no cache memory.
                            batch.release();
                            prefill.release();
                        }
                    }
                    if (closed) {
                        break;
                    }
                    take(joiners, dropped);
                } finally {
                    lock.unlock();
                }
                dropped.forEach(this::end);
                iterate(joiners);
                handOver();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            List<Decoding> left = new ArrayList<>(members);
            lock.lock();
            try {
                closed = true;
                left.addAll(pending);
                pending.clear();
            } finally {
                lock.unlock();
            }
            left.forEach(d -> {
                d.cancel();
                ending(d);
            });
            members = new ArrayList<>();
            batch.release();
            prefill.release();
            stopText();
        }
    }

    /** Gives this step's text work to the text thread, waiting while it is too far behind. */
    private void handOver() throws InterruptedException {
        if (stepText.isEmpty()) {
            return;
        }
        List<Runnable> work = stepText;
        stepText = new ArrayList<>();
        if (members.size() <= INLINE_ROWS && unfinishedText.get() == 0) {
            // A small batch leaves this thread time to spare, and waking the text thread for
            // each token would cost more than the work itself; the text thread has nothing
            // queued, so running it here keeps every generation's text in order.
            runText(work);
            return;
        }
        unfinishedText.incrementAndGet();
        textWork.put(() -> {
            try {
                runText(work);
            } finally {
                unfinishedText.decrementAndGet();
            }
        });
    }

    private void runText(List<Runnable> work) {
        for (Runnable r : work) {
            try {
                r.run();
            } catch (RuntimeException e) {
                log.warn("model {}: text work failed", model, e);
            }
        }
    }

    /** Hands over what is left, then ends the text thread once it has done all of it. */
    private void stopText() {
        try {
            handOver();
            textWork.put(STOP_TEXT);
            textThread.join(TimeUnit.SECONDS.toMillis(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (textThread.isAlive()) {
            log.warn("model {}: the text thread is still running after 30 s", model);
        }
    }

    private void textLoop() {
        while (true) {
            Runnable work;
            try {
                work = textWork.take();
            } catch (InterruptedException e) {
                return;
            }
            if (work == STOP_TEXT) {
                return;
            }
            // Each piece of work guards itself (runText), so one failure stops nothing else.
            work.run();
        }
    }

    /** Moves waiting requests to {@code joiners} within room and budget; drops cancelled ones. */
    private void take(List<Decoding> joiners, List<Decoding> dropped) {
        int width = 0;
        for (Iterator<Decoding> it = pending.iterator(); it.hasNext();) {
            Decoding d = it.next();
            if (d.generation().cancelled()) {
                it.remove();
                d.cancel();
                dropped.add(d);
                continue;
            }
            if (members.size() + joiners.size() >= maxBatchSize) {
                continue;
            }
            int wider = Math.max(width, d.promptLength());
            if (!joiners.isEmpty() && (long) wider * (joiners.size() + 1) > maxBatchTokens) {
                continue;
            }
            width = wider;
            it.remove();
            joiners.add(d);
        }
    }

    private void iterate(List<Decoding> joiners) throws InterruptedException {
        List<Decoding> inCall = joiners;
        try {
            boolean changed = false;
            List<Decoding> next = new ArrayList<>();
            List<KvBatch.Row> rows = new ArrayList<>();
            for (int r = 0; r < members.size(); r++) {
                Decoding d = members.get(r);
                if (d.failed()) {
                    changed = true;
                } else if (d.stoppedByText()) {
                    ending(d);
                    changed = true;
                } else if (d.generation().cancelled()) {
                    d.cancel();
                    ending(d);
                    changed = true;
                } else {
                    next.add(d);
                    rows.add(new KvBatch.Row(batch, r));
                }
            }
            if (!joiners.isEmpty()) {
                prefill.reset(joiners.size());
                List<long[]> prompts = new ArrayList<>();
                joiners.forEach(d -> prompts.add(d.sequence().ids(0, d.promptLength())));
                Logits[] logits = step.run(prompts, prefill, runOptions);
                for (int j = 0; j < joiners.size(); j++) {
                    Decoding d = joiners.get(j);
                    if (stays(d, logits[j])) {
                        next.add(d);
                        rows.add(new KvBatch.Row(prefill, j));
                    }
                }
                changed = true;
                // The joiners' first tokens go out now, not after this iteration's decode call.
                handOver();
            }
            if (changed) {
                recompose(next, rows);
            }
            inCall = members;
            if (members.isEmpty()) {
                return;
            }
            largestBatch = Math.max(largestBatch, members.size());
            List<long[]> fresh = new ArrayList<>();
            members.forEach(d -> fresh.add(new long[] {d.lastToken()}));
            Logits[] logits = step.run(fresh, batch, runOptions);
            next = new ArrayList<>();
            rows = new ArrayList<>();
            for (int r = 0; r < members.size(); r++) {
                Decoding d = members.get(r);
                if (stays(d, logits[r])) {
                    next.add(d);
                    rows.add(new KvBatch.Row(batch, r));
                }
            }
            if (next.size() < members.size()) {
                recompose(next, rows);
            }
        } catch (OrtException | RuntimeException e) {
            fail(e, inCall);
        }
    }

    /**
     * Picks a row's next token and queues its text; false when the row leaves the batch
     * (finished, and queued to complete after its text).
     */
    private boolean stays(Decoding d, Logits logits) {
        int token = d.choose(logits);
        int count = d.generated();
        stepText.add(() -> show(d, token, count));
        if (d.finished()) {
            ending(d);
            return false;
        }
        return true;
    }

    /** On the text thread: one token's text; a throwing listener fails that generation alone. */
    private void show(Decoding d, int token, int count) {
        if (d.failed()) {
            return;
        }
        try {
            d.show(token, count);
        } catch (RuntimeException e) {
            log.warn("model {}: a generation's listener failed; ending that generation", model, e);
            d.markFailed();
            d.close();
            d.generation().result().completeExceptionally(new EngineException(
                    EngineException.Reason.RUNTIME, "generation failed: " + e, e));
        }
    }

    /** Queues the completion of a generation that left the batch, after its text. */
    private void ending(Decoding d) {
        stepText.add(() -> {
            if (!d.failed()) {
                end(d);
            }
        });
    }

    private void recompose(List<Decoding> next, List<KvBatch.Row> rows) {
        if (next.isEmpty()) {
            // The buffers stay for the next request; the loop releases them once the model has
            // been idle for KEEP_IDLE_CACHE_NANOS.
            batch.reset(0);
        } else {
            batch.compose(rows);
        }
        members = next;
    }

    /** A failed call: its sequences' caches are lost, so they fail (or end, when closing). */
    private void fail(Exception e, List<Decoding> inCall) {
        List<Decoding> lost = new ArrayList<>(inCall);
        for (Decoding d : members) {
            if (!lost.contains(d)) {
                lost.add(d);
            }
        }
        members = new ArrayList<>();
        batch.release();
        if (closed) {
            lost.forEach(d -> {
                d.cancel();
                ending(d);
            });
            return;
        }
        log.warn("model {}: a batched step of {} sequences failed: {}", model, lost.size(),
                e.getMessage());
        EngineException error = e instanceof EngineException ee ? ee
                : new EngineException(EngineException.Reason.RUNTIME,
                        (e instanceof OrtException ? "ONNX Runtime failed: "
                                : "generation failed: ") + e.getMessage(), e);
        lost.forEach(d -> stepText.add(() -> {
            d.close();
            if (!d.generation().result().isDone()) {
                d.generation().result().completeExceptionally(error);
            }
        }));
    }

    /** Completes a finished generation and releases its sequence. */
    private void end(Decoding d) {
        try (d) {
            d.complete();
        } catch (RuntimeException e) {
            log.warn("model {}: finishing a generation failed", model, e);
            d.generation().result().completeExceptionally(e);
        }
    }

    /** Stops the loop: the call in flight is terminated and every generation cancelled. */
    @Override
    public void close() {
        lock.lock();
        try {
            closed = true;
            work.signalAll();
        } finally {
            lock.unlock();
        }
        try {
            runOptions.setTerminate(true);
        } catch (OrtException e) {
            log.debug("model {}: cannot terminate the running step: {}", model, e.getMessage());
        }
        try {
            thread.join(TimeUnit.SECONDS.toMillis(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (thread.isAlive()) {
            log.warn("model {}: the batch thread is still running after 30 s", model);
        } else {
            runOptions.close();
        }
    }
}
