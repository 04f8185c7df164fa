package dev.infer.client;

import dev.infer.protocol.ErrorCode;
import dev.infer.protocol.GenerateChunk;
import dev.infer.protocol.Json;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.apache.hc.client5.http.classic.methods.HttpPost;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.core5.http.ClassicHttpResponse;
import org.apache.hc.core5.http.ContentType;
import org.apache.hc.core5.http.HttpEntity;
import org.apache.hc.core5.http.io.entity.ByteArrayEntity;

/**
 * A worker's generate stream, read chunk by chunk on the caller's own thread, with a deadline on
 * each chunk, so that a caller can tell "no first token within the first-token timeout" from
 * "silent for longer than the idle timeout". Nothing is read ahead on other threads: the request
 * is sent by the first {@link #next} and each call reads the socket until its frame is complete,
 * which keeps the time from the worker's write to the caller's hands as short as it can be.
 * Keep-alive frames (a lone {@code \0}) are skipped.
 *
 * <p>One reader thread calls {@link #next}; {@link #close} may be called from any thread and
 * abandons the HTTP exchange, which tells the worker that nobody is listening any more.
 */
public final class GenerateStream implements AutoCloseable {
    private static final int MAX_FRAME_BYTES = 16 * 1024 * 1024;
    private static final int MAX_ERROR_BODY = 64 * 1024;
    /** How long {@link #close} waits for the end of a body whose last chunk has come. */
    private static final Duration DRAIN = Duration.ofMillis(200);

    private final String url;
    private final CloseableHttpClient client;
    private final HttpPost post;
    private ClassicHttpResponse response;
    private InputStream in;
    /** Bytes read but not yet consumed: {@code buffer[head, tail)}. */
    private byte[] buffer = new byte[8192];
    private int head;
    private int tail;
    private boolean eof;
    private boolean sawChunk;
    /** A chunk with a finish reason or an error has come: only the body's end should follow. */
    private boolean sawLast;
    private boolean ended;
    /** A frame parsed ahead by {@link #nextLatest} that it did not skip. */
    private GenerateChunk parked;
    private ClientException failure;
    private volatile boolean closed;

    // Deadline watch, guarded by this.
    private boolean waiting;
    private long deadline;
    private long timeoutMillis;
    private long watchAt;
    private ScheduledFuture<?> watch;
    private volatile boolean timedOut;

    private GenerateStream(String url, CloseableHttpClient client, HttpPost post) {
        this.url = url;
        this.client = client;
        this.post = post;
    }

    /**
     * Prepares {@code request}; it is sent by the first {@link #next}, whose timeout then also
     * bounds the wait for the response headers.
     */
    static GenerateStream open(JsonHttp http, String url, Object request) {
        HttpPost post;
        try {
            post = new HttpPost(url);
        } catch (IllegalArgumentException e) {
            throw new ClientException(ClientException.Kind.UNREACHABLE, 0, null,
                    "not a valid URL: " + url, e);
        }
        post.setEntity(new ByteArrayEntity(Json.write(request).getBytes(
                StandardCharsets.UTF_8), ContentType.APPLICATION_JSON));
        if (http.token() != null) {
            post.setHeader("Authorization", "Bearer " + http.token());
        }
        return new GenerateStream(url, BlockingHttp.client(http.client().sslContext()), post);
    }

    /** The URL this stream reads from, for messages. */
    public String url() {
        return url;
    }

    /**
     * Waits up to {@code timeout} for the next chunk.
     *
     * @return the chunk, or null when the stream ended after its last chunk
     * @throws ClientException {@link ClientException.Kind#TIMEOUT} when nothing came in time, or
     *     the failure that broke the stream (unreachable, error status, unreadable frame); once
     *     thrown, every later call throws it again
     */
    public GenerateChunk next(Duration timeout) {
        if (closed) {
            throw new IllegalStateException("stream from " + url + " is closed");
        }
        if (failure != null) {
            throw failure;
        }
        if (parked != null) {
            GenerateChunk chunk = parked;
            parked = null;
            return chunk;
        }
        if (ended) {
            return null;
        }
        arm(timeout);
        try {
            if (response == null) {
                send();
            }
            while (true) {
                int end = frameEnd(true);
                if (end < 0) {
                    ended = true;
                    if (tail > head) {
                        // A server that closes without the last \0 still delivered its object.
                        return parse(take(tail));
                    }
                    if (!sawChunk) {
                        throw fail(new ClientException(ClientException.Kind.BAD_RESPONSE, 0,
                                ErrorCode.INTERNAL, url + ": stream ended before any chunk",
                                null));
                    }
                    return null;
                }
                byte[] frame = take(end);
                if (frame.length > 0) {
                    return parse(frame);
                }
            }
        } catch (IOException | RuntimeException e) {
            if (e instanceof ClientException c && c == failure) {
                throw c;
            }
            throw fail(timedOut ? new ClientException(ClientException.Kind.TIMEOUT, 0,
                    ErrorCode.CONTROLLER_WORKER_TIMEOUT, url + ": no chunk within "
                            + timeoutMillis + " ms", null)
                    : closed ? new ClientException(ClientException.Kind.UNREACHABLE, 0, null,
                            url + ": stream closed", e)
                    : failure(url, e));
        } finally {
            disarm();
        }
    }

    /**
     * Like {@link #next}, but when more chunks have already arrived it skips to the latest of
     * them: FastChat's {@code text} is the whole output so far, so nothing is lost, and a reader
     * that fell behind catches up with one write instead of one per token. Only bytes already
     * decoded are looked at: frames that came in the same HTTP chunk. (Our worker flushes every
     * frame as a chunk of its own, so against it a reader catches up one frame per call.) An
     * error chunk, a failure or the end is never skipped; it comes on the following call.
     */
    public GenerateChunk nextLatest(Duration timeout) {
        GenerateChunk chunk = next(timeout);
        try {
            while (chunk != null && ordinary(chunk) && failure == null) {
                int end = frameEnd(false);
                if (end < 0) {
                    break;
                }
                byte[] frame = take(end);
                if (frame.length == 0) {
                    continue;
                }
                GenerateChunk more = parse(frame);
                if (!ordinary(more)) {
                    parked = more;
                    break;
                }
                chunk = more;
            }
        } catch (IOException | RuntimeException e) {
            // Reported by the next call: this chunk is still good.
            if (failure == null) {
                fail(e instanceof ClientException c ? c : failure(url, e));
            }
        }
        return chunk;
    }

    private static boolean ordinary(GenerateChunk chunk) {
        return !chunk.isError() && chunk.finishReason() == null;
    }

    /**
     * Ends the exchange. After the last chunk it reads the few bytes that end the body (briefly),
     * so the connection goes back to the pool for the next request; otherwise the connection is
     * dropped, which is how the worker learns that nobody listens any more.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        boolean reusable = sawLast && failure == null && drain();
        closed = true;
        synchronized (this) {
            if (watch != null) {
                watch.cancel(false);
                watch = null;
            }
        }
        if (!reusable) {
            post.cancel();
        }
        closeQuietly();
    }

    /** Reads to the end of the body; false when that failed or took longer than {@link #DRAIN}. */
    private boolean drain() {
        if (eof) {
            return true;
        }
        arm(DRAIN);
        try {
            head = 0;
            tail = 0;
            while (in.read(buffer) >= 0) {
                // Anything after the last chunk is discarded.
            }
            eof = true;
            return !timedOut;
        } catch (IOException | RuntimeException e) {
            return false;
        } finally {
            disarm();
        }
    }

    private void closeQuietly() {
        ClassicHttpResponse r = response;
        if (r != null) {
            try {
                r.close();
            } catch (IOException | RuntimeException e) {
                // Nothing to do: the connection is gone either way.
            }
        }
    }

    private void send() throws IOException {
        response = client.executeOpen(null, post, null);
        int status = response.getCode();
        HttpEntity entity = response.getEntity();
        in = entity == null ? InputStream.nullInputStream() : entity.getContent();
        if (status >= 400) {
            byte[] body = in.readNBytes(MAX_ERROR_BODY);
            JsonHttp.checkStatus(url, status, body);
        }
    }

    /**
     * The index just past the end of the next frame (its {@code \0} excluded), reading more when
     * {@code block} is true or when bytes are ready without blocking; -1 at the end of the stream
     * (or when {@code block} is false and no whole frame is here).
     */
    private int frameEnd(boolean block) throws IOException {
        int scanned = head;
        while (true) {
            for (int i = scanned; i < tail; i++) {
                if (buffer[i] == 0) {
                    return i;
                }
            }
            if (eof || (!block && in.available() <= 0)) {
                return -1;
            }
            if (tail - head > MAX_FRAME_BYTES) {
                throw new ClientException(ClientException.Kind.BAD_RESPONSE, 0,
                        ErrorCode.INTERNAL, url + ": stream frame larger than " + MAX_FRAME_BYTES
                                + " bytes", null);
            }
            makeRoom();
            // All of [head, tail) has been scanned; taken after makeRoom, which may move it.
            scanned = tail;
            int n = in.read(buffer, tail, buffer.length - tail);
            if (n < 0) {
                eof = true;
            } else {
                tail += n;
            }
        }
    }

    private void makeRoom() {
        if (tail < buffer.length) {
            return;
        }
        int live = tail - head;
        if (head > 0 && live < buffer.length / 2) {
            System.arraycopy(buffer, head, buffer, 0, live);
        } else {
            byte[] bigger = new byte[buffer.length * 2];
            System.arraycopy(buffer, head, bigger, 0, live);
            buffer = bigger;
        }
        head = 0;
        tail = live;
    }

    /** The bytes from {@link #head} to {@code end}; consumes them and the delimiter after. */
    private byte[] take(int end) {
        byte[] frame = Arrays.copyOfRange(buffer, head, end);
        head = Math.min(end + 1, tail);
        if (head == tail) {
            head = 0;
            tail = 0;
        }
        return frame;
    }

    private GenerateChunk parse(byte[] frame) {
        try {
            GenerateChunk chunk = Json.mapper().readValue(frame, GenerateChunk.class);
            sawChunk = true;
            sawLast |= !ordinary(chunk);
            return chunk;
        } catch (IOException e) {
            throw new ClientException(ClientException.Kind.BAD_RESPONSE, 0, ErrorCode.INTERNAL,
                    url + ": unreadable stream frame: "
                            + String.valueOf(e.getMessage()).lines().findFirst().orElse(""), e);
        }
    }

    private ClientException fail(ClientException e) {
        failure = e;
        if (!closed) {
            post.cancel();
        }
        return e;
    }

    /** Starts watching the deadline of this wait. */
    private synchronized void arm(Duration timeout) {
        long now = System.nanoTime();
        timeoutMillis = timeout.toMillis();
        deadline = now + Math.max(1, timeout.toNanos());
        waiting = true;
        if (watch != null && watchAt - deadline > 0) {
            // The watch is set for later than this deadline: bring it forward.
            watch.cancel(false);
            watch = null;
        }
        if (watch == null) {
            watchAt = deadline;
            watch = BlockingHttp.timer().schedule(this::check, deadline - now,
                    TimeUnit.NANOSECONDS);
        }
    }

    private synchronized void disarm() {
        waiting = false;
    }

    /** On the timer: aborts the exchange when the reader is still waiting past its deadline. */
    private void check() {
        synchronized (this) {
            watch = null;
            if (!waiting || closed) {
                return;
            }
            long left = deadline - System.nanoTime();
            if (left > 0) {
                watchAt = deadline;
                watch = BlockingHttp.timer().schedule(this::check, left, TimeUnit.NANOSECONDS);
                return;
            }
            timedOut = true;
        }
        post.cancel();
    }

    private static ClientException failure(String url, Throwable e) {
        return e instanceof ClientException c ? c
                : ClientException.unreachable(url, e, "stream broken: ");
    }
}
