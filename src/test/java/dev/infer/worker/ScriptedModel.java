package dev.infer.worker;

import dev.infer.engine.EngineException;
import dev.infer.engine.Embeddings;
import dev.infer.engine.FinishReason;
import dev.infer.engine.Generation;
import dev.infer.engine.GenerationListener;
import dev.infer.engine.GenerationRequest;
import dev.infer.engine.GenerationResult;
import dev.infer.engine.LoadedModel;
import dev.infer.engine.Message;
import dev.infer.engine.ModelInfo;
import dev.infer.engine.ModelKind;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A test stand-in for the engine whose generations produce one word per permit the test
 * {@link #release releases}, so admission, disconnect and drain tests can hold a generation at a
 * known point. Only those tests use it; everything else runs the real engine.
 */
final class ScriptedModel implements LoadedModel {
    final Semaphore permits = new Semaphore(0);
    final AtomicInteger started = new AtomicInteger();
    final AtomicInteger cancelled = new AtomicInteger();
    /** Words produced by all generations so far. */
    final AtomicInteger produced = new AtomicInteger();
    final CountDownLatch closed = new CountDownLatch(1);

    @Override
    public ModelInfo info() {
        return new ModelInfo("scripted", ModelKind.DECODER, 64, 100, true, 1, "test stand-in");
    }

    @Override
    public int countTokens(String text) {
        return text.isBlank() ? 0 : text.strip().split("\\s+").length;
    }

    @Override
    public String renderChat(List<Message> messages) {
        StringBuilder b = new StringBuilder();
        messages.forEach(m -> b.append(m.role()).append(": ").append(m.content()).append('\n'));
        return b.append("assistant:").toString();
    }

    /** Lets the running generations produce {@code words} more words between them. */
    void release(int words) {
        permits.release(words);
    }

    @Override
    public Generation submit(GenerationRequest request, GenerationListener listener) {
        if (closed.getCount() == 0) {
            throw new EngineException(EngineException.Reason.CLOSED, "model closed");
        }
        started.incrementAndGet();
        CompletableFuture<GenerationResult> result = new CompletableFuture<>();
        long start = System.nanoTime();
        int promptTokens = countTokens(request.prompt());
        var flag = new java.util.concurrent.atomic.AtomicBoolean();
        Thread t = new Thread(() -> {
            StringBuilder text = new StringBuilder();
            int n = 0;
            try {
                while (n < request.maxNewTokens()) {
                    if (flag.get()) {
                        cancelled.incrementAndGet();
                        result.complete(new GenerationResult(text.toString(), promptTokens, n,
                                FinishReason.CANCELLED, 0, System.nanoTime() - start));
                        return;
                    }
                    if (!permits.tryAcquire(5, TimeUnit.MILLISECONDS)) {
                        continue;
                    }
                    String word = (n == 0 ? "" : " ") + "w" + n;
                    text.append(word);
                    n++;
                    listener.onText(text.toString(), word, n);
                    produced.incrementAndGet();
                }
                result.complete(new GenerationResult(text.toString(), promptTokens, n,
                        FinishReason.LENGTH, 0, System.nanoTime() - start));
            } catch (InterruptedException e) {
                result.completeExceptionally(e);
            }
        }, "scripted-generation");
        t.setDaemon(true);
        t.start();
        return new Generation() {
            @Override
            public CompletableFuture<GenerationResult> result() {
                return result;
            }

            @Override
            public void cancel() {
                flag.set(true);
            }
        };
    }

    @Override
    public Embeddings embed(List<String> texts, boolean truncate) {
        throw new EngineException(
                EngineException.Reason.INVALID_INPUT, "scripted model has no embeddings");
    }

    @Override
    public void close() {
        closed.countDown();
    }
}
