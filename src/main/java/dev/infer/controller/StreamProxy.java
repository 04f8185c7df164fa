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
 * worker cannot be reached or its stream breaks.
 */
final class StreamProxy {
    private static final Logger log = LoggerFactory.getLogger(StreamProxy.class);

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
        String address = registry.dispatch(model.asText());
        if (address == null) {
            log.debug("no worker for model {}", model.asText());
            errorFrame(out, ErrorCode.CONTROLLER_NO_WORKER,
                    "no worker serves model '" + model.asText() + "'");
            return;
        }
        InputStream in;
        try {
            in = workers.get().openStream(address, params);
        } catch (ClientException e) {
            ErrorCode code = e.kind() == ClientException.Kind.ERROR_RESPONSE
                    && e.errorCode() != null ? e.errorCode() : ErrorCode.CONTROLLER_WORKER_TIMEOUT;
            log.warn("worker {} failed a stream for model {}: {}", address, model.asText(),
                    e.getMessage());
            errorFrame(out, code, e.getMessage());
            return;
        }
        try (in) {
            pass(in, out, address);
        }
    }

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
