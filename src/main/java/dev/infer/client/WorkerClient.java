package dev.infer.client;

import dev.infer.protocol.CountTokenRequest;
import dev.infer.protocol.CountTokenResponse;
import dev.infer.protocol.EmbeddingRequest;
import dev.infer.protocol.EmbeddingResponse;
import dev.infer.protocol.ErrorCode;
import dev.infer.protocol.GenerateChunk;
import dev.infer.protocol.GenerateRequest;
import dev.infer.protocol.Json;
import dev.infer.protocol.ModelDetails;
import dev.infer.protocol.ShutdownRequest;
import dev.infer.protocol.StreamFrames;
import dev.infer.protocol.WorkerStatus;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.function.Consumer;

/** Calls one worker's endpoints (or the controller's proxy, which speaks the same stream). */
public final class WorkerClient {
    private static final int MAX_FRAME_BYTES = 16 * 1024 * 1024;
    /** Largest status answer read; a real one is under a kilobyte. */
    public static final int MAX_STATUS_BYTES = 64 * 1024;

    private final JsonHttp http;
    private final Duration timeout;

    public WorkerClient(String token) {
        this(new JsonHttp(token), Duration.ofSeconds(60));
    }

    /**
     * @param timeout the longest wait for a non-streamed answer, and for the response headers of
     *     a stream
     */
    public WorkerClient(JsonHttp http, Duration timeout) {
        this.http = http;
        this.timeout = timeout;
    }

    public WorkerStatus status(String address) {
        return status(address, Duration.ofSeconds(5));
    }

    /**
     * {@code /worker_get_status} with its own timeout and an answer of at most
     * {@link #MAX_STATUS_BYTES}: the controller calls it on addresses that strangers register.
     */
    public WorkerStatus status(String address, Duration timeout) {
        return http.call(url(address, "/worker_get_status"), null, WorkerStatus.class, timeout,
                MAX_STATUS_BYTES);
    }

    public GenerateChunk generate(String address, GenerateRequest request) {
        return http.call(url(address, "/worker_generate"), request, GenerateChunk.class, timeout);
    }

    /**
     * Streams a generation, handing each chunk to {@code onChunk} as it arrives, and returns the
     * last one. An error chunk from the worker is returned (and handed over) like any other; a
     * stream that ends without a finish reason or error is reported as
     * {@link ClientException.Kind#BAD_RESPONSE}.
     */
    public GenerateChunk generateStream(String address, GenerateRequest request, Consumer<GenerateChunk> onChunk) {
        String url = url(address, "/worker_generate_stream");
        HttpResponse<InputStream> response = http.stream(http.post(url, request, timeout).build());
        GenerateChunk last = null;
        try (InputStream in = response.body()) {
            StreamFrames.Reader reader = new StreamFrames.Reader(in, MAX_FRAME_BYTES);
            String frame;
            while ((frame = reader.next()) != null) {
                last = Json.mapper().readValue(frame, GenerateChunk.class);
                onChunk.accept(last);
                if (last.isError() || last.finishReason() != null) {
                    return last;
                }
            }
        } catch (IOException e) {
            throw new ClientException(ClientException.Kind.UNREACHABLE, 0, null,
                    url + ": stream broken: " + e.getMessage(), e);
        }
        throw new ClientException(ClientException.Kind.BAD_RESPONSE, 0, ErrorCode.INTERNAL,
                url + ": stream ended " + (last == null ? "before any chunk" : "without a finish reason"), null);
    }

    /**
     * Prepares a generation; the first {@link GenerateStream#next} sends it and waits (within its
     * deadline) for the first chunk. Close the stream when done.
     */
    public GenerateStream openChunkStream(String address, GenerateRequest request) {
        return GenerateStream.open(http, url(address, "/worker_generate_stream"), request);
    }

    /**
     * Opens the worker's generate stream with {@code body} as it is and returns the raw bytes,
     * {@code \0}-delimited frames, for a proxy to pass on; the caller closes the stream. An error
     * status is thrown as a {@link ClientException} carrying the worker's message and code.
     */
    public InputStream openStream(String address, Object body) {
        String url = url(address, "/worker_generate_stream");
        return http.stream(http.post(url, body, timeout).build()).body();
    }

    public EmbeddingResponse embeddings(String address, EmbeddingRequest request) {
        return http.call(url(address, "/worker_get_embeddings"), request, EmbeddingResponse.class, timeout);
    }

    public int countTokens(String address, String prompt) {
        return http.call(url(address, "/count_token"), new CountTokenRequest(prompt),
                CountTokenResponse.class, timeout).count();
    }

    public int contextLength(String address) {
        return http.call(url(address, "/model_details"), null, ModelDetails.class, timeout).contextLength();
    }

    public void shutdown(String address, ShutdownRequest request) {
        http.call(url(address, "/worker_shutdown"), request, Void.class, Duration.ofSeconds(5));
    }

    private static String url(String address, String path) {
        return ControllerClient.stripSlash(address) + path;
    }
}
