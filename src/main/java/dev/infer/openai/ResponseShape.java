package dev.infer.openai;

import dev.infer.openai.OpenAiResponses.AssistantMessage;
import dev.infer.openai.OpenAiResponses.ChatChoice;
import dev.infer.openai.OpenAiResponses.ChatChunk;
import dev.infer.openai.OpenAiResponses.ChunkChoice;
import dev.infer.openai.OpenAiResponses.CompletionChoice;
import dev.infer.openai.OpenAiResponses.Delta;
import dev.infer.protocol.Usage;
import java.util.List;

/** How a chat completion and a legacy completion each dress the same generated text. */
enum ResponseShape {
    CHAT("chatcmpl-") {
        @Override
        Object chunk(Header h, int index, String role, String text, String finish) {
            return new ChatChunk(h.id(), "chat.completion.chunk", h.created(), h.model(),
                    h.fingerprint(),
                    List.of(new ChunkChoice(index, new Delta(role, text), null, finish)), null);
        }

        @Override
        Object usageChunk(Header h, Usage usage) {
            return new ChatChunk(h.id(), "chat.completion.chunk", h.created(), h.model(),
                    h.fingerprint(),
                    List.of(), usage);
        }

        @Override
        Object whole(Header h, List<Choice> choices, Usage usage) {
            return new OpenAiResponses.ChatCompletion(h.id(), "chat.completion", h.created(),
                    h.model(),
                    h.fingerprint(), choices.stream().map(c -> new ChatChoice(c.index(),
                            new AssistantMessage("assistant", c.text(), null), null,
                                    c.finishReason())).toList(),
                    usage);
        }
    },
    COMPLETION("cmpl-") {
        @Override
        Object chunk(Header h, int index, String role, String text, String finish) {
            return new OpenAiResponses.Completion(h.id(), "text_completion", h.created(), h.model(),
                    h.fingerprint(), List.of(new CompletionChoice(index, text == null ? "" : text,
                            null, finish)),
                    null);
        }

        @Override
        Object usageChunk(Header h, Usage usage) {
            return new OpenAiResponses.Completion(h.id(), "text_completion", h.created(), h.model(),
                    h.fingerprint(), List.of(), usage);
        }

        @Override
        Object whole(Header h, List<Choice> choices, Usage usage) {
            return new OpenAiResponses.Completion(h.id(), "text_completion", h.created(), h.model(),
                    h.fingerprint(), choices.stream().map(c -> new CompletionChoice(c.index(),
                            c.text(), null,
                            c.finishReason())).toList(), usage);
        }
    };

    private final String idPrefix;

    ResponseShape(String idPrefix) {
        this.idPrefix = idPrefix;
    }

    /** The fields every event of one response repeats. */
    record Header(String id, long created, String model, String fingerprint) {}

    /** One finished choice. */
    record Choice(int index, String text, String finishReason) {}

    String idPrefix() {
        return idPrefix;
    }

    /** One streamed event; {@code role} only on a chat stream's first event per choice. */
    abstract Object chunk(Header h, int index, String role, String text, String finish);

    /** The extra last event of {@code stream_options.include_usage}: no choices, only usage. */
    abstract Object usageChunk(Header h, Usage usage);

    abstract Object whole(Header h, List<Choice> choices, Usage usage);

    /** OpenAI's finish reasons are "stop" and "length" for plain text generation. */
    static String finishReason(String workerReason) {
        return "length".equals(workerReason) ? "length" : "stop";
    }
}
