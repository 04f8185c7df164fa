package dev.infer.openai;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.infer.protocol.ErrorCode;
import dev.infer.protocol.Json;
import java.io.IOException;
import java.util.List;

/**
 * The bodies OpenAI's clients send, as far as {@code infer} reads them. Unknown fields are
 * ignored (SDKs send more than we use); fields whose JSON type varies (a string or a list) are
 * kept as {@link JsonNode} and checked by {@link GenerateParams}. {@code ignore_eos} is vLLM's
 * extension, passed on to the worker: generate past EOS up to the token limit (for benchmarks).
 */
public final class OpenAiRequests {
    private OpenAiRequests() {}

    /** {@code POST /v1/chat/completions}. */
    public record ChatCompletion(
            String model,
            List<Message> messages,
            Boolean stream,
            StreamOptions streamOptions,
            Integer n,
            JsonNode stop,
            Long seed,
            Integer maxTokens,
            Integer maxCompletionTokens,
            Double temperature,
            Double topP,
            Double presencePenalty,
            Double frequencyPenalty,
            Boolean logprobs,
            Integer topLogprobs,
            JsonNode tools,
            Boolean ignoreEos) {}

    /** One chat message; {@code content} is a string, an array of parts, or null. */
    public record Message(String role, JsonNode content, String name) {}

    /** {@code stream_options}. */
    public record StreamOptions(Boolean includeUsage) {}

    /** {@code POST /v1/completions}. */
    public record Completion(
            String model,
            JsonNode prompt,
            Boolean stream,
            StreamOptions streamOptions,
            Integer n,
            JsonNode stop,
            Long seed,
            Integer maxTokens,
            Double temperature,
            Double topP,
            Double presencePenalty,
            Double frequencyPenalty,
            Boolean echo,
            Integer logprobs,
            Integer bestOf,
            String suffix,
            Boolean ignoreEos) {}

    /** {@code POST /v1/embeddings}. */
    public record Embeddings(String model, JsonNode input, String encodingFormat,
            Integer dimensions) {}

    /**
     * Reads a body as {@code type}; a malformed document or a wrong type is a 400 whose
     * {@code param} names the field (for example {@code messages[0].content}).
     */
    public static <T> T read(byte[] body, Class<T> type) {
        if (body == null || body.length == 0) {
            throw new ApiException(400, ErrorCode.VALIDATION, null,
                    "request body is empty; expected a JSON object");
        }
        try {
            T value = Json.mapper().readValue(body, type);
            if (value == null) {
                throw new ApiException(400, ErrorCode.VALIDATION, null,
                        "request body is null; expected a JSON object");
            }
            return value;
        } catch (JsonProcessingException e) {
            throw new ApiException(400, ErrorCode.VALIDATION, param(e), Json.describe(e, body));
        } catch (IOException e) {
            throw new ApiException(400, ErrorCode.VALIDATION, null, "cannot read request body");
        }
    }

    private static String param(JsonProcessingException e) {
        if (!(e instanceof JsonMappingException m) || m.getPath().isEmpty()) {
            return null;
        }
        StringBuilder path = new StringBuilder();
        for (JsonMappingException.Reference r : m.getPath()) {
            if (r.getFieldName() != null) {
                path.append(path.length() == 0 ? "" : ".").append(r.getFieldName());
            } else {
                path.append('[').append(r.getIndex()).append(']');
            }
        }
        return path.toString();
    }
}
