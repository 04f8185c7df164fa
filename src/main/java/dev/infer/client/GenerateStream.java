package dev.infer.client;

import dev.infer.protocol.ErrorCode;
import dev.infer.protocol.GenerateChunk;
import dev.infer.protocol.Json;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.ConnectException;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Flow;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A generate stream read chunk by chunk with a deadline on each chunk, so that a caller can tell
 * "no first token within the first-token timeout" from "silent for longer than the idle timeout"
 * without a watchdog thread. The response arrives asynchronously; frames are queued as they come.
 *
 * <p>One reader thread calls {@link #next}; {@link #close} may be called from any thread and
 * abandons the HTTP exchange, which tells the worker that nobody is listening any more.
 */
public final class GenerateStream implements AutoCloseable {
    private static final Object END = new Object();
    private static final int MAX_FRAME_BYTES = 16 * 1024 * 1024;

    private final String url;
    private final BlockingQueue<Object> events = new LinkedBlockingQueue<>();
    private final AtomicBoolean terminated = new AtomicBoolean();
    private volatile Flow.Subscription subscription;
    private volatile boolean closed;
    private CompletableFuture<HttpResponse<Void>> exchange;

    private GenerateStream(String url) {
        this.url = url;
    }

    /**
     * Sends {@code request} without waiting for the answer.
     *
     * @param headerTimeout the longest wait for the response headers
     */
    static GenerateStream open(JsonHttp http, String url, Object request, Duration headerTimeout) {
        GenerateStream stream = new GenerateStream(url);
        HttpRequest httpRequest = http.post(url, request, headerTimeout).build();
        stream.exchange = http.client().sendAsync(httpRequest,
                info -> HttpResponse.BodySubscribers.fromSubscriber(stream.new Frames(
                        info.statusCode())));
        stream.exchange.whenComplete((response, error) -> {
            if (error != null) {
                stream.finish(failure(url, error, headerTimeout));
            }
        });
        return stream;
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
     *     the failure that broke the stream (unreachable, error status, unreadable frame)
     */
    public GenerateChunk next(Duration timeout) {
        if (closed) {
            throw new IllegalStateException("stream from " + url + " is closed");
        }
        Object event;
        try {
            event = events.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ClientException(ClientException.Kind.TIMEOUT, 0, null, url + ": interrupted",
                    e);
        }
        if (event == null) {
            throw new ClientException(ClientException.Kind.TIMEOUT, 0,
                    ErrorCode.CONTROLLER_WORKER_TIMEOUT,
                    url + ": no chunk within " + timeout.toMillis() + " ms", null);
        }
        if (event == END) {
            events.add(END);
            return null;
        }
        if (event instanceof ClientException e) {
            events.add(e);
            throw e;
        }
        return (GenerateChunk) event;
    }

    /**
     * Like {@link #next}, but when more chunks have already arrived it skips to the latest of
     * them: FastChat's {@code text} is the whole output so far, so nothing is lost, and a reader
     * that fell behind catches up with one write instead of one per token. An error chunk, a
     * failure or the end is never skipped; it comes on the following call.
     */
    public GenerateChunk nextLatest(Duration timeout) {
        GenerateChunk chunk = next(timeout);
        while (chunk != null && !chunk.isError() && chunk.finishReason() == null
                && events.peek() instanceof GenerateChunk more && !more.isError()) {
            events.poll();
            chunk = more;
        }
        return chunk;
    }

    /** Abandons the exchange; idempotent. */
    @Override
    public void close() {
        closed = true;
        Flow.Subscription s = subscription;
        if (s != null) {
            s.cancel();
        } else if (exchange != null) {
            exchange.cancel(true);
        }
    }

    private void finish(Object terminal) {
        if (terminated.compareAndSet(false, true)) {
            events.add(terminal);
        }
    }

    static ClientException failure(String url, Throwable error, Duration headerTimeout) {
        Throwable e = error instanceof CompletionException && error.getCause() != null
                ? error.getCause() : error;
        if (e instanceof ClientException c) {
            return c;
        }
        if (e instanceof HttpConnectTimeoutException) {
            return new ClientException(ClientException.Kind.UNREACHABLE, 0, null,
                    url + ": connection timed out", e);
        }
        if (e instanceof HttpTimeoutException) {
            return new ClientException(ClientException.Kind.TIMEOUT, 0,
                    ErrorCode.CONTROLLER_WORKER_TIMEOUT,
                    url + ": no response within " + headerTimeout.toMillis() + " ms", e);
        }
        if (e instanceof ConnectException || e instanceof ClosedChannelException) {
            return new ClientException(ClientException.Kind.UNREACHABLE, 0, null,
                    url + ": connection refused", e);
        }
        String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return new ClientException(ClientException.Kind.UNREACHABLE, 0, null,
                url + ": stream broken: " + why, e);
    }

    /** Splits the body on {@code \0} and queues each frame; an error status keeps the whole body.
    * */
    private final class Frames implements Flow.Subscriber<List<ByteBuffer>> {
        private final int status;
        private final ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        private boolean sawChunk;

        Frames(int status) {
            this.status = status;
        }

        @Override
        public void onSubscribe(Flow.Subscription s) {
            subscription = s;
            if (closed) {
                s.cancel();
            } else {
                s.request(Long.MAX_VALUE);
            }
        }

        @Override
        public void onNext(List<ByteBuffer> buffers) {
            for (ByteBuffer b : buffers) {
                while (b.hasRemaining()) {
                    byte x = b.get();
                    if (x == 0 && status < 400) {
                        emit();
                    } else {
                        buffer.write(x);
                    }
                }
            }
            if (buffer.size() > MAX_FRAME_BYTES) {
                finish(new ClientException(ClientException.Kind.BAD_RESPONSE, status,
                        ErrorCode.INTERNAL,
                        url + ": stream frame larger than " + MAX_FRAME_BYTES + " bytes", null));
                subscription.cancel();
            }
        }

        @Override
        public void onError(Throwable t) {
            finish(failure(url, t, Duration.ZERO));
        }

        @Override
        public void onComplete() {
            if (status >= 400) {
                try {
                    JsonHttp.checkStatus(url, status, buffer.toByteArray());
                } catch (ClientException e) {
                    finish(e);
                }
                return;
            }
            // A server that closes without the last \0 still delivered its object.
            emit();
            finish(sawChunk ? END : new ClientException(ClientException.Kind.BAD_RESPONSE, 0,
                    ErrorCode.INTERNAL, url + ": stream ended before any chunk", null));
        }

        private void emit() {
            if (buffer.size() == 0 || terminated.get()) {
                buffer.reset();
                return;
            }
            byte[] frame = buffer.toByteArray();
            buffer.reset();
            try {
                events.add(Json.mapper().readValue(frame, GenerateChunk.class));
                sawChunk = true;
            } catch (IOException e) {
                finish(new ClientException(ClientException.Kind.BAD_RESPONSE, status,
                        ErrorCode.INTERNAL,
                        url + ": unreadable stream frame: "
                                + String.valueOf(e.getMessage()).lines().findFirst().orElse(""),
                                        e));
            }
        }
    }
}
