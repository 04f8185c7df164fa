package dev.infer.openai;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.infer.protocol.Usage;
import java.util.List;

/**
 * The bodies {@code infer api} answers with, field for field as OpenAI sends them. Fields OpenAI
 * sends as an explicit {@code null} ({@code finish_reason} while streaming, {@code logprobs},
 * {@code refusal}) are written as null here too, since the shared mapper otherwise drops nulls.
 */
public final class OpenAiResponses {
    private OpenAiResponses() {}

    /** A non-streamed chat completion, {@code "object": "chat.completion"}. */
    public record ChatCompletion(String id, String object, long created, String model,
            String systemFingerprint, List<ChatChoice> choices, Usage usage) {}

    public record ChatChoice(int index, AssistantMessage message,
            @JsonInclude(JsonInclude.Include.ALWAYS) Object logprobs,
            @JsonInclude(JsonInclude.Include.ALWAYS) String finishReason) {}

    public record AssistantMessage(String role, String content,
            @JsonInclude(JsonInclude.Include.ALWAYS) String refusal) {}

    /** One streamed chat event, {@code "object": "chat.completion.chunk"}. */
    public record ChatChunk(String id, String object, long created, String model,
            String systemFingerprint, List<ChunkChoice> choices, Usage usage) {}

    public record ChunkChoice(int index, Delta delta,
            @JsonInclude(JsonInclude.Include.ALWAYS) Object logprobs,
            @JsonInclude(JsonInclude.Include.ALWAYS) String finishReason) {}

    /** The change a chunk brings: the role on the first, text on the next, nothing on the last. */
    public record Delta(String role, String content) {}

    /** A legacy completion, streamed or not, {@code "object": "text_completion"}. */
    public record Completion(String id, String object, long created, String model,
            String systemFingerprint, List<CompletionChoice> choices, Usage usage) {}

    public record CompletionChoice(int index, String text,
            @JsonInclude(JsonInclude.Include.ALWAYS) Object logprobs,
            @JsonInclude(JsonInclude.Include.ALWAYS) String finishReason) {}

    /** {@code GET /v1/models} and one entry of it. */
    public record ModelList(String object, List<Model> data) {}

    public record Model(String id, String object, long created, String ownedBy) {}

    /** {@code POST /v1/embeddings}; {@code embedding} is a float array or a base64 string. */
    public record EmbeddingList(String object, List<EmbeddingData> data, String model,
            EmbeddingUsage usage) {}

    public record EmbeddingData(String object, int index, Object embedding) {}

    public record EmbeddingUsage(int promptTokens, int totalTokens) {}
}
