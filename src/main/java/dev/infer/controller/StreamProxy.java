package dev.infer.controller;

import com.fasterxml.jackson.databind.JsonNode;
import dev.infer.client.ClientException;
import dev.infer.client.WorkerClient;
import dev.infer.protocol.ErrorCode;
import dev.infer.protocol.GenerateChunk;
import dev.infer.protocol.Json;
import dev.infer.protocol.ProtocolException;
import dev.infer.protocol.StreamFrames;
import io.javalin.http.Context;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code POST /worker_generate_stream} on the controller: picks a worker for the request's model
 * and passes the worker's {@code \0}-delimited stream through byte for byte, flushing each read
 * so that chunks reach the client as they come. Failures end the stream with exactly one error
 * frame, as FastChat's controller does: 50005 when no worker serves the model, 50006 when the
 * worker cannot be reached or its stream breaks. A worker that refuses the connection has not
 * seen the request, so it is marked unhealthy (until the health check finds it answering) and
 * the request goes once to another worker; after that nothing is retried.
 */
final class StreamProxy {
    private static final Logger log = LoggerFactory.getLogger(StreamProxy.class);

    /** Tries per request: a worker that cannot be reached is replaced once by another. */
    private static final int ATTEMPTS = 2;

    private final WorkerRegistry registry;
    private final Supplier<WorkerClient> workers;
    private final ControllerMetrics metrics;

    StreamProxy(WorkerRegistry registry, Supplier<WorkerClient> workers,
            ControllerMetrics metrics) {
        this.registry = registry;
        this.workers = workers;
        this.metrics = metrics;
    }

    void handle(Context ctx) throws IOException {
        JsonNode params = Json.read(ctx.bodyAsBytes(), JsonNode.class);
        if (!params.isObject()) {
            throw ProtocolException.invalid("request body must be a JSON object");
        }
        JsonNode model = params.get("model");
        if (model == null || !model.isTextual() || model.asText().isBlank()) {
            throw ProtocolException.invalid(
                    "missing field 'model': a non-empty string is required");
        }
        ctx.status(200).contentType("application/octet-stream");
        // The servlet stream, not Javalin's: Javalin's may compress, which would hold chunks back.
        OutputStream out = ctx.res().getOutputStream();
        String address = null;
        InputStream in = null;
        ClientException failure = null;
        for (int attempt = 1; in == null; attempt++) {
            address = registry.dispatch(model.asText());
            if (address == null && failure != null) {
                // The retry found no other worker: report what the first one did.
                errorFrame(out, ErrorCode.CONTROLLER_WORKER_TIMEOUT, failure.getMessage());
                return;
            }
            if (address == null) {
                log.debug("no worker for model {}", model.asText());
                errorFrame(out, ErrorCode.CONTROLLER_NO_WORKER,
                        "no worker serves model '" + model.asText() + "'");
                return;
            }
            try {
                in = workers.get().openStream(address, params);
            } catch (ClientException e) {
                log.warn("worker {} failed a stream for model {}: {}", address, model.asText(),
                        e.getMessage());
                if (e.kind() == ClientException.Kind.UNREACHABLE && attempt < ATTEMPTS) {
                    // The request never reached it: safe to send elsewhere. Until the health
                    // check finds it answering again, dispatch skips it.
                    registry.markHealth(address, false);
                    failure = e;
                    continue;
                }
                ErrorCode code = e.kind() == ClientException.Kind.ERROR_RESPONSE
                        && e.errorCode() != null ? e.errorCode()
                                : ErrorCode.CONTROLLER_WORKER_TIMEOUT;
                errorFrame(out, code, e.getMessage());
                return;
            }
        }
        try (InputStream stream = in) {
            pass(stream, out, address);
        }
    }

    // TODO: no idle timeout once a worker's stream has started (the JDK client's body stream has
    // no read timeout): a worker that hangs mid-stream holds a proxied request until its client
    // leaves. The API server's path (Upstream) has first-token and idle timeouts.
    private void pass(InputStream in, OutputStream out, String address) throws IOException {
        byte[] buffer = new byte[8192];
        while (true) {
            int n;
            try {
                n = in.read(buffer);
            } catch (IOException e) {
                log.warn("stream from worker {} broke: {}", address, e.getMessage());
                errorFrame(out, ErrorCode.CONTROLLER_WORKER_TIMEOUT,
                        "stream from worker " + address + " broke: " + e.getMessage());
                return;
            }
            if (n < 0) {
                out.flush();
                return;
            }
            // A client that went away makes this throw; closing `in` then releases the worker.
            out.write(buffer, 0, n);
            out.flush();
        }
    }

    private void errorFrame(OutputStream out, ErrorCode code, String reason) throws IOException {
        metrics.error(code);
        out.write(StreamFrames.frame(GenerateChunk.error(code, reason)));
        out.flush();
    }
}
