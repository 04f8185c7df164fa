package dev.infer.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.infer.engine.FinishReason;
import dev.infer.engine.GenerationListener;
import dev.infer.engine.GenerationResult;
import dev.infer.testing.Await;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The hand-over between the engine's thread and the stream writer, with real threads. */
class ChunkRelayTest {
    private static final long TEN_SECONDS = TimeUnit.SECONDS.toNanos(10);
    private static final long AN_HOUR = TimeUnit.HOURS.toNanos(1);

    private final ChunkRelay relay = new ChunkRelay(GenerationListener.NONE);

    private static GenerationResult result(String text) {
        return new GenerationResult(text, 3, 2, FinishReason.LENGTH, 0, 0);
    }

    @Test
    void the_writer_gets_only_the_newest_text() throws Exception {
        relay.onText("a", "a", 1);
        relay.onText("a b", " b", 2);
        ChunkRelay.Progress p = assertInstanceOf(ChunkRelay.Progress.class,
                relay.next(TEN_SECONDS, System.nanoTime()));
        assertEquals("a b", p.text());
        assertEquals(2, p.tokens());
    }

    @Test
    void text_ready_before_not_before_waits_until_then() throws Exception {
        relay.onText("a", "a", 1);
        long start = System.nanoTime();
        long notBefore = start + TimeUnit.MILLISECONDS.toNanos(200);
        ChunkRelay.Event e = relay.next(TEN_SECONDS, notBefore);
        assertTrue(System.nanoTime() - notBefore >= 0, "progress came before its time");
        assertEquals("a", assertInstanceOf(ChunkRelay.Progress.class, e).text());
    }

    @Test
    void the_end_is_never_held_back() throws Exception {
        relay.onText("a", "a", 1);
        relay.finish(result("a b"), null);
        // Were the end held like progress, this would wait an hour.
        CompletableFuture<ChunkRelay.Event> next = CompletableFuture.supplyAsync(() -> {
            try {
                return relay.next(AN_HOUR, System.nanoTime() + AN_HOUR);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        ChunkRelay.Done done = assertInstanceOf(ChunkRelay.Done.class,
                next.get(10, TimeUnit.SECONDS));
        assertEquals("a b", done.result().text());
    }

    @Test
    void text_arriving_while_the_writer_waits_wakes_it() throws Exception {
        CompletableFuture<ChunkRelay.Event> next = CompletableFuture.supplyAsync(() -> {
            try {
                return relay.next(TEN_SECONDS, System.nanoTime());
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        Await.until(Duration.ofSeconds(10), "the writer waiting", relay::writerWaiting);
        relay.onText("a", "a", 1);
        // Not woken, the writer would return null (nothing new) only after ten seconds.
        ChunkRelay.Event e = next.get(8, TimeUnit.SECONDS);
        assertEquals("a", assertInstanceOf(ChunkRelay.Progress.class, e).text());
    }

    @Test
    void silence_until_the_timeout_is_null_so_the_writer_can_send_a_keep_alive()
            throws Exception {
        assertNull(relay.next(TimeUnit.MILLISECONDS.toNanos(20), System.nanoTime()));
    }

    @Test
    void a_failure_reaches_the_writer() throws Exception {
        IllegalStateException boom = new IllegalStateException("boom");
        relay.finish(null, boom);
        ChunkRelay.Failed f = assertInstanceOf(ChunkRelay.Failed.class,
                relay.next(TEN_SECONDS, System.nanoTime()));
        assertEquals(boom, f.error());
    }
}
