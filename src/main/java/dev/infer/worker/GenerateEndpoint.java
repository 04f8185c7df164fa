package dev.infer.worker;

import dev.infer.engine.EngineException;
import dev.infer.engine.FinishReason;
import dev.infer.engine.Generation;
import dev.infer.engine.GenerationListener;
import dev.infer.engine.GenerationResult;
import dev.infer.engine.LoadedModel;
import dev.infer.protocol.ErrorCode;
import dev.infer.protocol.GenerateChunk;
import dev.infer.protocol.GenerateRequest;
import dev.infer.protocol.ProtocolException;
import dev.infer.protocol.StreamFrames;
import dev.infer.protocol.Usage;
import dev.infer.server.HttpError;
import dev.infer.server.HttpServer;
import dev.infer.worker.WorkerMetrics.Outcome;
import io.javalin.http.Context;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.OutputStream;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code /worker_generate_stream} and {@code /worker_generate}. A request is validated, admitted
 * (or refused at once), waits for a slot, and runs on the engine. A failure before the first byte
 * is sent is answered with the error code's HTTP status; after that, with a final error frame.
 * A stream whose client went away (a write fails) cancels its generation and frees its slot.
 */
final class GenerateEndpoint {
    private static final Logger log = LoggerFactory.getLogger(GenerateEndpoint.class);
    private static final byte[] KEEP_ALIVE = {StreamFrames.DELIMITER};
    static final String STREAM = "worker_generate_stream";
    static final String FINAL = "worker_generate";

    private final LoadedModel model;
    private final RequestMapper mapper;
    private final Admission admission;
    private final WorkerMetrics metrics;
    private final Duration keepAlive;
    private final long frameIntervalNanos;
    private final Set<Generation> active = ConcurrentHashMap.newKeySet();

    GenerateEndpoint(
            LoadedModel model, Admission admission, WorkerMetrics metrics, Duration keepAlive,
            Duration frameInterval) {
        this.model = model;
        this.mapper = new RequestMapper(model);
        this.admission = admission;
        this.metrics = metrics;
        this.keepAlive = keepAlive;
        this.frameIntervalNanos = frameInterval.toNanos();
    }

    /** Cancels every generation still running (drain timeout, forced shutdown). */
    void cancelAll() {
        active.forEach(Generation::cancel);
    }

    /** {@code POST /worker_generate}: the final object only. */
    void generate(Context ctx) throws InterruptedException {
        long arrival = System.nanoTime();
        RequestMapper.Prepared p = prepare(ctx, FINAL);
        try (Admission.Ticket ticket = admit(FINAL)) {
            ticket.awaitTurn();
            Generation g = submit(p, metrics.timer(arrival), FINAL);
            GenerationResult result;
            try {
                result = g.result().get();
            } catch (ExecutionException e) {
                metrics.request(FINAL, Outcome.ERROR);
                throw httpError(e.getCause());
            } finally {
                active.remove(g);
            }
            metrics.tokens(result.completionTokens());
            if (result.finishReason() == FinishReason.CANCELLED) {
                metrics.request(FINAL, Outcome.CANCELLED);
                throw new HttpError(503, ErrorCode.INTERNAL, cancelledReason());
            }
            metrics.request(FINAL, Outcome.OK);
            HttpServer.json(ctx, finalChunk(result));
        } catch (Admission.ShuttingDown e) {
            throw unavailable(e);
        }
    }

    /** {@code POST /worker_generate_stream}: {@code \0}-terminated JSON frames. */
    void generateStream(Context ctx) throws InterruptedException {
        long arrival = System.nanoTime();
        RequestMapper.Prepared p = prepare(ctx, STREAM);
        FrameSink sink = new FrameSink(ctx.res());
        Generation g = null;
        try (Admission.Ticket ticket = admit(STREAM)) {
            while (!ticket.awaitTurn(keepAlive)) {
                sink.keepAlive();
            }
            ChunkRelay relay = new ChunkRelay(metrics.timer(arrival));
            g = submitForStream(p, relay, sink);
            if (g != null) {
                g.result().whenComplete(relay::finish);
                relay(p, relay, sink);
            }
            // Complete the response while the slot is still held: a shutdown that waits for
            // idle slots must not stop the server between our last frame and the end of the
            // chunked body, or the client sees a truncated stream.
            sink.finish();
        } catch (Admission.ShuttingDown e) {
            if (!sink.committed()) {
                throw unavailable(e);
            }
            metrics.request(STREAM, Outcome.CANCELLED);
            sink.tryWrite(GenerateChunk.error(e.code(), e.getMessage()));
        } catch (IOException e) {
            // The client went away: stop the work it asked for and give the slot to the next one.
            metrics.request(STREAM, Outcome.CLIENT_GONE);
            log.debug("client gone from {}: {}", STREAM, e.getMessage());
            if (g != null) {
                g.cancel();
            }
        } finally {
            if (g != null) {
                active.remove(g);
            }
        }
    }

    private Generation submitForStream(RequestMapper.Prepared p, ChunkRelay relay, FrameSink sink)
            throws IOException {
        try {
            return submit(p, relay, STREAM);
        } catch (RuntimeException e) {
            if (!sink.committed()) {
                throw e;
            }
            ProtocolException pe = e instanceof ProtocolException x ? x : toProtocol(e);
            sink.write(GenerateChunk.error(pe.code(), pe.getMessage()));
            return null;
        }
    }

    private void relay(RequestMapper.Prepared p, ChunkRelay relay, FrameSink sink)
            throws IOException, InterruptedException {
        String prefix = p.request().echo() ? p.prompt() : "";
        long notBefore = System.nanoTime();
        while (true) {
            ChunkRelay.Event event = relay.next(keepAlive.toNanos(), notBefore);
            if (event == null) {
                sink.keepAlive();
            } else if (event instanceof ChunkRelay.Progress progress) {
                sink.write(new GenerateChunk(prefix + progress.text(), 0,
                        Usage.of(p.promptTokens(), progress.tokens()), null));
                // Text that comes sooner waits for the next frame: a fast model's tokens then cost
                // one frame (a write, a wake-up, a read at the client) per interval, not each.
                notBefore = System.nanoTime() + frameIntervalNanos;
            } else if (event instanceof ChunkRelay.Done done) {
                GenerationResult result = done.result();
                metrics.tokens(result.completionTokens());
                if (result.finishReason() == FinishReason.CANCELLED) {
                    metrics.request(STREAM, Outcome.CANCELLED);
                    sink.write(GenerateChunk.error(ErrorCode.INTERNAL, cancelledReason()));
                } else {
                    metrics.request(STREAM, Outcome.OK);
                    sink.write(finalChunk(result));
                }
                return;
            } else if (event instanceof ChunkRelay.Failed failed) {
                metrics.request(STREAM, Outcome.ERROR);
                ProtocolException pe = toProtocol(failed.error());
                sink.write(GenerateChunk.error(pe.code(), pe.getMessage()));
                return;
            }
        }
    }

    private RequestMapper.Prepared prepare(Context ctx, String endpoint) {
        try {
            if (admission.isClosed()) {
                throw Admission.shuttingDown();
            }
            return mapper.prepare(HttpServer.body(ctx, GenerateRequest.class));
        } catch (Admission.ShuttingDown e) {
            metrics.request(endpoint, Outcome.OVERLOADED);
            throw unavailable(e);
        } catch (ProtocolException e) {
            metrics.request(endpoint, Outcome.INVALID);
            throw e;
        } catch (EngineException e) {
            metrics.request(endpoint, Outcome.ERROR);
            throw httpError(e);
        }
    }

    private Admission.Ticket admit(String endpoint) {
        try {
            return admission.enter();
        } catch (ProtocolException e) {
            metrics.request(endpoint, Outcome.OVERLOADED);
            throw e;
        }
    }

    private Generation submit(
            RequestMapper.Prepared p, GenerationListener listener, String endpoint) {
        try {
            Generation g = model.submit(p.request(), listener);
            active.add(g);
            return g;
        } catch (EngineException e) {
            metrics.request(endpoint, Outcome.ERROR);
            throw httpError(e);
        }
    }

    private static GenerateChunk finalChunk(GenerationResult r) {
        return new GenerateChunk(r.text(), 0, Usage.of(r.promptTokens(), r.completionTokens()),
                r.finishReason().wireName());
    }

    private static String cancelledReason() {
        return "generation cancelled: the worker is shutting down";
    }

    static HttpError unavailable(ProtocolException e) {
        return new HttpError(503, e.code(), e.getMessage());
    }

    /** An engine failure as the error a caller sees; 5xx causes are logged with their trace. */
    static ProtocolException toProtocol(Throwable t) {
        if (t instanceof ProtocolException p) {
            return p;
        }
        if (t instanceof EngineException e) {
            switch (e.reason()) {
                case CONTEXT_OVERFLOW:
                    return new ProtocolException(ErrorCode.CONTEXT_OVERFLOW, e.getMessage());
                case INVALID_INPUT:
                    return new ProtocolException(ErrorCode.VALIDATION, e.getMessage());
                case CLOSED:
                    return Admission.shuttingDown();
                default:
                    break;
            }
        }
        log.warn("generation failed", t);
        String why = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
        return new ProtocolException(
                ErrorCode.INTERNAL, "generation failed: " + why.lines().findFirst().orElse(""));
    }

    static HttpError httpError(Throwable t) {
        ProtocolException p = toProtocol(t);
        int status = p instanceof Admission.ShuttingDown ? 503 : p.code().httpStatus();
        return new HttpError(status, p.code(), p.getMessage());
    }

    /**
     * Writes frames straight to the servlet stream (not through Javalin's result, which may
     * compress and buffer), flushing each so the client sees every step as it happens.
     */
    static final class FrameSink {
        private final HttpServletResponse response;
        private OutputStream out;

        FrameSink(HttpServletResponse response) {
            this.response = response;
        }

        boolean committed() {
            return out != null;
        }

        void write(GenerateChunk chunk) throws IOException {
            send(StreamFrames.frame(chunk));
        }

        /** A lone delimiter: an empty frame FastChat clients skip; it also tests the connection. */
        void keepAlive() throws IOException {
            send(KEEP_ALIVE);
        }

        /** Ends the response body now (the last chunk of the chunked encoding); idempotent. */
        void finish() {
            if (out == null) {
                return;
            }
            try {
                out.close();
            } catch (IOException e) {
                log.debug("could not end the stream: {}", e.getMessage());
            }
        }

        /** Writes a last frame if the client is still there; ignores a failure. */
        void tryWrite(GenerateChunk chunk) {
            try {
                write(chunk);
            } catch (IOException e) {
                log.debug("could not send the last frame: {}", e.getMessage());
            }
        }

        private void send(byte[] bytes) throws IOException {
            if (out == null) {
                response.setStatus(200);
                response.setContentType("application/octet-stream");
                out = response.getOutputStream();
            }
            out.write(bytes);
            out.flush();
        }
    }
}
