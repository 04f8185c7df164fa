package dev.infer.client;

import static dev.infer.client.ScriptedStreamServer.KEEP_ALIVE;
import static dev.infer.client.ScriptedStreamServer.await;
import static dev.infer.client.ScriptedStreamServer.begin;
import static dev.infer.client.ScriptedStreamServer.chunk;
import static dev.infer.client.ScriptedStreamServer.end;
import static dev.infer.client.ScriptedStreamServer.finish;
import static dev.infer.client.ScriptedStreamServer.frame;
import static dev.infer.client.ScriptedStreamServer.write;
import static dev.infer.client.ScriptedStreamServer.writeUntilGone;
import static java.nio.charset.StandardCharsets.UTF_8;
import static java.util.concurrent.TimeUnit.MILLISECONDS;
import static java.util.concurrent.TimeUnit.SECONDS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.infer.client.ClientException.Kind;
import dev.infer.protocol.ErrorCode;
import dev.infer.protocol.GenerateChunk;
import dev.infer.protocol.GenerateRequest;
import dev.infer.protocol.Json;
import dev.infer.protocol.Usage;
import dev.infer.testing.Await;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link GenerateStream} against a scripted worker: a real HTTP server on 127.0.0.1 whose handler
 * plays one script per request, writing {@code \0}-terminated chunks (chunked encoding, one HTTP
 * chunk per flush) and waiting on latches for its silent periods.
 */
class GenerateStreamTest {
    /** The deadline of calls that are meant to time out. */
    private static final Duration SHORT = Duration.ofMillis(300);
    /** The deadline of calls that are meant to get their chunk, which comes at once. */
    private static final Duration LONG = Duration.ofSeconds(5);

    private final List<GenerateStream> streams = new ArrayList<>();
    private ScriptedStreamServer server;

    @BeforeEach
    void start() throws IOException {
        server = new ScriptedStreamServer();
    }

    @AfterEach
    void stop() {
        streams.forEach(GenerateStream::close);
        server.close();
    }

    private GenerateStream open() {
        GenerateStream stream = new WorkerClient((String) null).openChunkStream(
                server.address(), GenerateRequest.ofPrompt("m", "hi", 8));
        streams.add(stream);
        return stream;
    }

    @Test
    void chunks_come_in_order_keep_alives_are_skipped_and_next_returns_null_after_the_finish()
            throws Exception {
        server.add(ex -> {
            begin(ex);
            write(ex, KEEP_ALIVE, chunk("a"), KEEP_ALIVE, KEEP_ALIVE);
            write(ex, KEEP_ALIVE);
            write(ex, chunk("ab"));
            write(ex, KEEP_ALIVE, finish("abc"), KEEP_ALIVE);
        });
        GenerateStream stream = open();
        GenerateChunk a = stream.next(LONG);
        assertEquals("a", a.text());
        assertEquals(Usage.of(1, 1), a.usage());
        assertNull(a.finishReason());
        assertEquals("ab", stream.next(LONG).text());
        GenerateChunk last = stream.next(LONG);
        assertEquals("abc", last.text());
        assertEquals("stop", last.finishReason());
        assertNull(stream.next(LONG));
        assertNull(stream.next(LONG));
        String request = server.bodies().get(0);
        assertTrue(request.contains("\"prompt\":\"hi\""), request);
    }

    @Test
    void long_frames_written_together_each_come_as_soon_as_they_are_whole() throws Exception {
        // A long answer (every frame repeats the whole text so far) in one HTTP chunk, as a
        // proxy that re-chunks may pass it on: reads end inside frames of some kilobytes.
        List<String> texts = new ArrayList<>();
        for (int n = 4600; n < 6000; n += 100) {
            texts.add("x".repeat(n));
        }
        CountDownLatch release = new CountDownLatch(1);
        server.add(ex -> {
            begin(ex);
            write(ex, texts.stream().map(ScriptedStreamServer::chunk).toArray(String[]::new));
            await(release);
            end(ex, finish("done"));
        });
        GenerateStream stream = open();
        for (String text : texts) {
            // The server is silent now: each frame must be found in what has already come.
            assertEquals(text.length(), stream.next(LONG).text().length());
        }
        release.countDown();
        assertEquals("done", stream.next(LONG).text());
        assertNull(stream.next(LONG));
    }

    @Test
    void a_server_silent_before_the_first_chunk_times_out_next_and_loses_the_connection()
            throws Exception {
        CountDownLatch gaveUp = new CountDownLatch(1);
        CompletableFuture<IOException> serverSaw = new CompletableFuture<>();
        server.add(ex -> {
            begin(ex);
            await(gaveUp);
            serverSaw.complete(writeUntilGone(ex));
        });
        GenerateStream stream = open();
        ClientException e = timesOut(stream, SHORT);
        gaveUp.countDown();
        assertEquals(Kind.TIMEOUT, e.kind(), e.getMessage());
        assertEquals(ErrorCode.CONTROLLER_WORKER_TIMEOUT, e.errorCode());
        assertNotNull(serverSaw.get(5, SECONDS), "the server could still write to the client");
        assertSame(e, assertThrows(ClientException.class, () -> stream.next(LONG)));
    }

    @Test
    void a_server_that_sends_no_headers_times_out_the_first_next_and_loses_the_connection()
            throws Exception {
        CountDownLatch gaveUp = new CountDownLatch(1);
        CompletableFuture<IOException> serverSaw = new CompletableFuture<>();
        server.add(ex -> {
            await(gaveUp);
            try {
                begin(ex);
            } catch (IOException e) {
                serverSaw.complete(e);
                return;
            }
            serverSaw.complete(writeUntilGone(ex));
        });
        GenerateStream stream = open();
        ClientException e = timesOut(stream, SHORT);
        gaveUp.countDown();
        assertEquals(Kind.TIMEOUT, e.kind(), e.getMessage());
        assertNotNull(serverSaw.get(5, SECONDS), "the server could still write to the client");
        assertSame(e, assertThrows(ClientException.class, () -> stream.next(LONG)));
    }

    @Test
    void silence_after_a_chunk_times_out_at_the_deadline_of_that_call_not_an_earlier_longer_one()
            throws Exception {
        CountDownLatch gaveUp = new CountDownLatch(1);
        server.add(ex -> {
            begin(ex);
            write(ex, chunk("a"));
            await(gaveUp);
        });
        GenerateStream stream = open();
        assertEquals("a", stream.next(LONG).text());
        ClientException e = timesOut(stream, SHORT);
        gaveUp.countDown();
        assertEquals(Kind.TIMEOUT, e.kind(), e.getMessage());
        assertTrue(e.getMessage().contains("no chunk within 300 ms"), e.getMessage());
    }

    @Test
    void keep_alive_frames_alone_do_not_keep_a_next_from_timing_out() throws Exception {
        CountDownLatch gaveUp = new CountDownLatch(1);
        AtomicInteger sent = new AtomicInteger();
        server.add(ex -> {
            begin(ex);
            do {
                write(ex, KEEP_ALIVE);
                sent.incrementAndGet();
            } while (!gaveUp.await(50, MILLISECONDS));
        });
        GenerateStream stream = open();
        ClientException e = timesOut(stream, SHORT);
        int keepAlives = sent.get();
        gaveUp.countDown();
        assertEquals(Kind.TIMEOUT, e.kind(), e.getMessage());
        assertTrue(keepAlives >= 3, "the server sent only " + keepAlives + " keep-alive frames");
    }

    @Test
    void an_error_status_with_a_fastchat_body_gives_its_status_text_and_error_code() {
        server.add(ex -> {
            byte[] body = "{\"text\": \"Only m2 is served here\", \"error_code\": 40301}"
                    .getBytes(UTF_8);
            ex.getResponseHeaders().set("Content-Type", "application/json");
            ex.sendResponseHeaders(404, body.length);
            ex.getResponseBody().write(body);
        });
        GenerateStream stream = open();
        ClientException e = assertThrows(ClientException.class, () -> stream.next(LONG));
        assertEquals(Kind.ERROR_RESPONSE, e.kind(), e.getMessage());
        assertEquals(404, e.status());
        assertTrue(e.getMessage().contains("Only m2 is served here"), e.getMessage());
        assertEquals(ErrorCode.INVALID_MODEL, e.errorCode());
        assertSame(e, assertThrows(ClientException.class, () -> stream.next(LONG)));
    }

    @Test
    void a_refused_connection_is_unreachable_with_connection_refused_in_the_message()
            throws IOException {
        int port;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = socket.getLocalPort();
        }
        GenerateStream stream = new WorkerClient((String) null).openChunkStream(
                "http://127.0.0.1:" + port, GenerateRequest.ofPrompt("m", "hi", 8));
        streams.add(stream);
        failsWith(stream, Kind.UNREACHABLE, "connection refused");
    }

    @Test
    void an_unreadable_frame_after_a_good_chunk_is_a_bad_response() {
        server.add(ex -> {
            begin(ex);
            write(ex, chunk("a"), "{\"text\": oops}\0");
        });
        GenerateStream stream = open();
        assertEquals("a", stream.next(LONG).text());
        failsWith(stream, Kind.BAD_RESPONSE, "unreadable stream frame");
    }

    @Test
    void a_body_that_ends_with_only_keep_alives_is_a_bad_response() {
        server.add(ex -> {
            begin(ex);
            write(ex, KEEP_ALIVE, KEEP_ALIVE);
        });
        GenerateStream stream = open();
        failsWith(stream, Kind.BAD_RESPONSE, "stream ended before any chunk");
    }

    @Test
    void a_last_object_without_its_trailing_nul_is_still_delivered() {
        server.add(ex -> {
            begin(ex);
            write(ex, chunk("a"), Json.write(new GenerateChunk("ab", 0, Usage.of(1, 2), "length")));
        });
        GenerateStream stream = open();
        assertEquals("a", stream.next(LONG).text());
        GenerateChunk last = stream.next(LONG);
        assertEquals("ab", last.text());
        assertEquals("length", last.finishReason());
        assertNull(stream.next(LONG));
    }

    @Test
    void streams_read_to_their_finish_chunk_and_closed_share_one_connection() {
        for (int i = 0; i < 2; i++) {
            server.add(ex -> {
                begin(ex);
                write(ex, chunk("a"));
                end(ex, finish("ab"));
            });
        }
        for (int i = 0; i < 2; i++) {
            try (GenerateStream stream = open()) {
                assertEquals("a", stream.next(LONG).text());
                assertEquals("stop", stream.next(LONG).finishReason());
            }
        }
        List<Integer> ports = server.ports();
        assertEquals(2, ports.size());
        assertEquals(ports.get(0), ports.get(1), "the second stream used a new connection");
    }

    @Test
    void a_stream_closed_before_its_end_drops_its_connection_and_the_next_one_gets_a_new_one()
            throws Exception {
        CountDownLatch abandoned = new CountDownLatch(1);
        CompletableFuture<IOException> serverSaw = new CompletableFuture<>();
        server.add(ex -> {
            begin(ex);
            end(ex, finish("done"));
        });
        server.add(ex -> {
            begin(ex);
            write(ex, chunk("a"));
            await(abandoned);
            serverSaw.complete(writeUntilGone(ex));
        });
        server.add(ex -> {
            begin(ex);
            end(ex, finish("again"));
        });
        try (GenerateStream whole = open()) {
            assertEquals("done", whole.next(LONG).text());
        }
        GenerateStream partial = open();
        assertEquals("a", partial.next(LONG).text());
        CompletableFuture.runAsync(partial::close).get(1, SECONDS);
        abandoned.countDown();
        assertNotNull(serverSaw.get(5, SECONDS), "the server could still write to the client");
        try (GenerateStream after = open()) {
            assertEquals("again", after.next(LONG).text());
        }
        List<Integer> ports = server.ports();
        assertEquals(3, ports.size());
        assertEquals(ports.get(0), ports.get(1), "a finished stream's connection was not reused");
        assertNotEquals(ports.get(1), ports.get(2), "an abandoned connection was reused");
    }

    @Test
    void next_latest_skips_to_the_latest_ordinary_chunk_but_not_past_the_finish_chunk()
            throws Exception {
        CountDownLatch sawFirst = new CountDownLatch(1);
        CountDownLatch written = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        server.add(ex -> {
            begin(ex);
            write(ex, chunk("a"));
            await(sawFirst);
            write(ex, chunk("ab"), KEEP_ALIVE, chunk("abc"), chunk("abcd"), finish("abcde"));
            written.countDown();
            await(release);
        });
        GenerateStream stream = open();
        assertEquals("a", stream.nextLatest(LONG).text());
        sawFirst.countDown();
        assertTrue(written.await(5, SECONDS));
        assertEquals("abcd", stream.nextLatest(LONG).text());
        GenerateChunk last = stream.nextLatest(LONG);
        assertEquals("abcde", last.text());
        assertEquals("stop", last.finishReason());
        release.countDown();
        assertNull(stream.nextLatest(LONG));
    }

    @Test
    void next_latest_never_skips_an_error_chunk() throws Exception {
        CountDownLatch sawFirst = new CountDownLatch(1);
        CountDownLatch written = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        server.add(ex -> {
            begin(ex);
            write(ex, chunk("a"));
            await(sawFirst);
            write(ex, chunk("ab"), chunk("abc"),
                    frame(GenerateChunk.error(ErrorCode.INTERNAL, "the engine broke")));
            written.countDown();
            await(release);
        });
        GenerateStream stream = open();
        assertEquals("a", stream.next(LONG).text());
        sawFirst.countDown();
        assertTrue(written.await(5, SECONDS));
        assertEquals("abc", stream.nextLatest(LONG).text());
        GenerateChunk error = stream.nextLatest(LONG);
        assertEquals(ErrorCode.INTERNAL.code(), error.errorCode());
        assertEquals("the engine broke", error.text());
        release.countDown();
        assertNull(stream.next(LONG));
    }

    @Test
    void close_from_another_thread_makes_a_blocked_next_fail_promptly() throws Exception {
        CountDownLatch over = new CountDownLatch(1);
        server.add(ex -> {
            begin(ex);
            write(ex, chunk("a"));
            await(over);
        });
        GenerateStream stream = open();
        assertEquals("a", stream.next(LONG).text());
        CompletableFuture<Throwable> outcome = new CompletableFuture<>();
        Thread reader = new Thread(() -> {
            try {
                outcome.complete(new AssertionError("next returned "
                        + stream.next(Duration.ofSeconds(30))));
            } catch (Throwable t) {
                outcome.complete(t);
            }
        }, "blocked-reader");
        reader.setDaemon(true);
        reader.start();
        Await.until(Duration.ofSeconds(2), "the reader to block in next", () -> Arrays.stream(
                reader.getStackTrace()).anyMatch(f -> f.getMethodName().equals("frameEnd")));
        // Closed on yet another thread, so that a close() that hangs fails the test too.
        CompletableFuture<Void> closing = CompletableFuture.runAsync(stream::close);
        Throwable failure = outcome.get(1, SECONDS);
        closing.get(1, SECONDS);
        over.countDown();
        assertInstanceOf(ClientException.class, failure);
        assertTrue(failure.getMessage().contains("closed"), failure.getMessage());
    }

    /**
     * Calls {@code next(timeout)} on {@code stream} and returns its failure, checking that it
     * came no sooner than the timeout and well before five times it.
     */
    private static ClientException timesOut(GenerateStream stream, Duration timeout) {
        long t0 = System.nanoTime();
        ClientException e = assertTimeoutPreemptively(timeout.multipliedBy(5),
                () -> assertThrows(ClientException.class, () -> stream.next(timeout)),
                "next(" + timeout.toMillis() + " ms) was still waiting");
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(ms >= timeout.toMillis(), "gave up after " + ms + " ms");
        return e;
    }

    /** The next call fails with {@code kind}, its message containing {@code text}. */
    private static ClientException failsWith(GenerateStream stream, Kind kind, String text) {
        ClientException e = assertThrows(ClientException.class, () -> stream.next(LONG));
        assertEquals(kind, e.kind(), e.getMessage());
        assertTrue(e.getMessage().contains(text), e.getMessage());
        return e;
    }
}
