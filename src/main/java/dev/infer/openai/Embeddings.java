package dev.infer.openai;

import dev.infer.client.ClientException;
import dev.infer.client.WorkerClient;
import dev.infer.openai.OpenAiResponses.EmbeddingData;
import dev.infer.openai.OpenAiResponses.EmbeddingList;
import dev.infer.openai.OpenAiResponses.EmbeddingUsage;
import dev.infer.protocol.EmbeddingRequest;
import dev.infer.protocol.EmbeddingResponse;
import dev.infer.protocol.ErrorCode;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * {@code POST /v1/embeddings}: one worker call, retried once on another worker when the first is
 * unreachable or fails with a 5xx or 429. Vectors go back as float arrays, or with
 * {@code encoding_format: base64} as the base64 of their little-endian float32 bytes, as OpenAI
 * encodes them. Thread-safe.
 */
final class Embeddings {
    private final WorkerRouter router;
    private final WorkerClient workers;

    Embeddings(WorkerRouter router, WorkerClient workers) {
        this.router = router;
        this.workers = workers;
    }

    EmbeddingList create(OpenAiRequests.Embeddings request) {
        String model = GenerateParams.model(request.model());
        List<String> input = GenerateParams.strings("input", request.input());
        String format = request.encodingFormat() == null ? "float" : request.encodingFormat();
        if (!format.equals("float") && !format.equals("base64")) {
            throw ApiException.invalid("encoding_format",
                    "encoding_format must be 'float' or 'base64', not '" + format + "'");
        }
        if (request.dimensions() != null) {
            throw ApiException.invalid("dimensions", "dimensions is not supported by infer; "
                    + "the model's own embedding size is returned");
        }
        router.requireModel(model);
        EmbeddingResponse response = call(model, new EmbeddingRequest(model, input, null));
        List<float[]> vectors = response.embedding() == null ? List.of() : response.embedding();
        if (vectors.size() != input.size()) {
            throw new ApiException(500, ErrorCode.INTERNAL, null,
                    "worker returned " + vectors.size()
                    + " embeddings for " + input.size() + " inputs");
        }
        List<EmbeddingData> data = new ArrayList<>();
        for (int i = 0; i < vectors.size(); i++) {
            float[] v = vectors.get(i);
            data.add(new EmbeddingData("embedding", i, format.equals("base64") ? base64(v) : v));
        }
        return new EmbeddingList("list", data, model,
                new EmbeddingUsage(response.tokenNum(), response.tokenNum()));
    }

    private EmbeddingResponse call(String model, EmbeddingRequest request) {
        Set<String> failed = new LinkedHashSet<>();
        List<String> reasons = new ArrayList<>();
        ErrorCode code = null;
        int status = 0;
        for (int attempt = 1; attempt <= 2; attempt++) {
            String address;
            try {
                address = router.address(model, failed);
            } catch (ApiException none) {
                if (code == null) {
                    throw none;
                }
                reasons.add(none.getMessage());
                break;
            }
            try {
                return workers.embeddings(address, request);
            } catch (ClientException e) {
                reasons.add(e.getMessage());
                status = e.status();
                code = e.kind() == ClientException.Kind.UNREACHABLE ? ErrorCode.CONTROLLER_NO_WORKER
                        : e.kind() == ClientException.Kind.TIMEOUT
                                ? ErrorCode.CONTROLLER_WORKER_TIMEOUT
                        : e.errorCode() != null ? e.errorCode()
                        : status == 429 ? ErrorCode.ENGINE_OVERLOADED : ErrorCode.INTERNAL;
                boolean retryable = e.kind() == ClientException.Kind.UNREACHABLE || status >= 500
                        || status == 429;
                if (!retryable) {
                    break;
                }
                failed.add(address);
                router.forget(model, address);
            }
        }
        throw Upstream.failure(reasons, code, status);
    }

    /** OpenAI's base64 form: the vector's float32 values in little-endian byte order. */
    static String base64(float[] vector) {
        ByteBuffer bytes = ByteBuffer.allocate(vector.length * Float.BYTES).order(
                ByteOrder.LITTLE_ENDIAN);
        bytes.asFloatBuffer().put(vector);
        return Base64.getEncoder().encodeToString(bytes.array());
    }
}
