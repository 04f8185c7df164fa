package dev.infer.openai;

import com.fasterxml.jackson.databind.JsonNode;
import dev.infer.protocol.ChatMessage;
import dev.infer.protocol.ErrorCode;
import dev.infer.protocol.GenerateRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Checks an OpenAI request's values and turns it into the worker's generate requests, one per
 * choice. Every refusal is a 400 naming the parameter.
 *
 * <p>Mapped: {@code max_tokens} / {@code max_completion_tokens} (the latter wins) to
 * {@code max_new_tokens}, {@code temperature}, {@code top_p}, {@code stop}, {@code seed}
 * (choice {@code i} of {@code n} gets {@code seed + i}, so that the choices differ and are still
 * reproducible), {@code echo}. Accepted, range-checked and ignored: {@code presence_penalty} and
 * {@code frequency_penalty}, because the worker protocol has only FastChat's multiplicative
 * {@code repetition_penalty}, and no faithful conversion from OpenAI's additive penalties exists.
 */
public final class GenerateParams {
    /** The most choices one request may ask for; OpenAI's own limit. */
    public static final int MAX_N = 128;
    /** The most stop sequences; OpenAI's own limit. */
    public static final int MAX_STOP = 4;
    /** Tokens a legacy completion generates when {@code max_tokens} is absent, as OpenAI does. */
    public static final int COMPLETION_DEFAULT_MAX_TOKENS = 16;

    private static final Set<String> ROLES = Set.of("system", "developer", "user", "assistant",
            "tool");

    private GenerateParams() {}

    /** What to run for one request: its worker requests in choice order, and how to answer. */
    public record Plan(String model, boolean stream, boolean includeUsage, int n,
            List<GenerateRequest> requests) {}

    public static Plan chat(OpenAiRequests.ChatCompletion r) {
        String model = model(r.model());
        List<ChatMessage> messages = messages(r.messages());
        int n = n(r.n());
        boolean stream = Boolean.TRUE.equals(r.stream());
        boolean includeUsage = includeUsage(stream, r.streamOptions());
        Integer maxTokens = null;
        if (r.maxCompletionTokens() != null) {
            maxTokens = positive("max_completion_tokens", r.maxCompletionTokens());
        } else if (r.maxTokens() != null) {
            maxTokens = positive("max_tokens", r.maxTokens());
        }
        sampling(r.temperature(), r.topP(), r.presencePenalty(), r.frequencyPenalty());
        List<String> stop = stop(r.stop());
        if (Boolean.TRUE.equals(r.logprobs()) || r.topLogprobs() != null) {
            throw ApiException.invalid(r.topLogprobs() != null ? "top_logprobs" : "logprobs",
                    "logprobs are not supported by infer");
        }
        if (r.tools() != null && !r.tools().isNull() && !r.tools().isEmpty()) {
            throw ApiException.invalid("tools", "tool calling is not supported by infer");
        }
        List<GenerateRequest> requests = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            requests.add(new GenerateRequest(model, null, messages, r.temperature(), r.topP(), null,
                    null, maxTokens, stop, null, null, seed(r.seed(), i), null, r.ignoreEos()));
        }
        return new Plan(model, stream, includeUsage, n, List.copyOf(requests));
    }

    public static Plan completion(OpenAiRequests.Completion r) {
        String model = model(r.model());
        List<String> prompts = prompts(r.prompt());
        int n = n(r.n());
        if (r.bestOf() != null && r.bestOf() != n) {
            throw ApiException.invalid("best_of",
                    "best_of must equal n; infer does not rank choices");
        }
        if (r.logprobs() != null && r.logprobs() > 0) {
            throw ApiException.invalid("logprobs", "logprobs are not supported by infer");
        }
        if (r.suffix() != null && !r.suffix().isEmpty()) {
            throw ApiException.invalid("suffix", "suffix (insertion) is not supported by infer");
        }
        boolean stream = Boolean.TRUE.equals(r.stream());
        boolean includeUsage = includeUsage(stream, r.streamOptions());
        int maxTokens = r.maxTokens() == null ? COMPLETION_DEFAULT_MAX_TOKENS
                : positive("max_tokens", r.maxTokens());
        sampling(r.temperature(), r.topP(), r.presencePenalty(), r.frequencyPenalty());
        List<String> stop = stop(r.stop());
        List<GenerateRequest> requests = new ArrayList<>();
        for (String prompt : prompts) {
            for (int i = 0; i < n; i++) {
                requests.add(new GenerateRequest(model, prompt, null, r.temperature(), r.topP(),
                        null,
                        null, maxTokens, stop, null, r.echo(), seed(r.seed(), i), null,
                        r.ignoreEos()));
            }
        }
        return new Plan(model, stream, includeUsage, n, List.copyOf(requests));
    }

    static String model(String model) {
        if (model == null || model.isBlank()) {
            throw ApiException.invalid("model", "you must provide a model parameter");
        }
        return model;
    }

    /** The strings of an embeddings {@code input}: one string or a non-empty list of strings. */
    static List<String> strings(String param, JsonNode node) {
        if (node == null || node.isNull()) {
            throw ApiException.invalid(param, "you must provide " + param);
        }
        if (node.isTextual()) {
            return List.of(node.asText());
        }
        if (!node.isArray() || node.isEmpty()) {
            throw ApiException.invalid(param,
                    param + " must be a string or a non-empty array of strings");
        }
        List<String> out = new ArrayList<>();
        for (int i = 0; i < node.size(); i++) {
            JsonNode item = node.get(i);
            if (!item.isTextual()) {
                throw ApiException.invalid(param + "[" + i + "]", item.isNumber() || item.isArray()
                        ? "token-id input is not supported by infer; send text"
                        : param + "[" + i + "] must be a string");
            }
            out.add(item.asText());
        }
        return out;
    }

    private static List<String> prompts(JsonNode prompt) {
        return strings("prompt", prompt);
    }

    private static List<ChatMessage> messages(List<OpenAiRequests.Message> messages) {
        if (messages == null || messages.isEmpty()) {
            throw ApiException.invalid("messages", "messages must be a non-empty array");
        }
        List<ChatMessage> out = new ArrayList<>();
        for (int i = 0; i < messages.size(); i++) {
            OpenAiRequests.Message m = messages.get(i);
            String at = "messages[" + i + "]";
            if (m == null) {
                throw ApiException.invalid(at, at + " must be an object");
            }
            if (m.role() == null || !ROLES.contains(m.role())) {
                throw ApiException.invalid(at + ".role", at + ".role must be one of " + ROLES
                        + (m.role() == null ? "" : ", not '" + m.role() + "'"));
            }
            // The worker renders the model's own chat template, which knows "system" but rarely
            // OpenAI's newer "developer" role; they mean the same thing.
            String role = m.role().equals("developer") ? "system" : m.role();
            out.add(new ChatMessage(role, content(at + ".content", m.role(), m.content())));
        }
        return List.copyOf(out);
    }

    private static String content(String param, String role, JsonNode content) {
        if (content == null || content.isNull()) {
            if (role.equals("assistant")) {
                return "";
            }
            throw ApiException.invalid(param, param + " is required for role '" + role + "'");
        }
        if (content.isTextual()) {
            return content.asText();
        }
        if (!content.isArray()) {
            throw ApiException.invalid(param,
                    param + " must be a string or an array of text parts");
        }
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < content.size(); i++) {
            JsonNode part = content.get(i);
            String type = part.path("type").asText("");
            if (!type.equals("text") || !part.path("text").isTextual()) {
                throw ApiException.invalid(param + "[" + i + "]",
                        "only text parts ({\"type\": \"text\", "
                        + "\"text\": ...}) are supported, not '" + (type.isEmpty()
                                ? part.getNodeType() : type) + "'");
            }
            if (text.length() > 0) {
                text.append('\n');
            }
            text.append(part.get("text").asText());
        }
        return text.toString();
    }

    private static int n(Integer n) {
        if (n == null) {
            return 1;
        }
        if (n < 1 || n > MAX_N) {
            throw ApiException.invalid("n", "n must be between 1 and " + MAX_N + ", not " + n);
        }
        return n;
    }

    private static boolean includeUsage(boolean stream, OpenAiRequests.StreamOptions options) {
        if (options == null) {
            return false;
        }
        if (!stream) {
            throw ApiException.invalid("stream_options",
                    "stream_options is only allowed when stream is true");
        }
        return Boolean.TRUE.equals(options.includeUsage());
    }

    private static int positive(String param, int value) {
        if (value < 1) {
            throw ApiException.invalid(param, param + " must be at least 1, not " + value);
        }
        return value;
    }

    private static void sampling(Double temperature, Double topP, Double presence,
            Double frequency) {
        range("temperature", temperature, 0, 2);
        range("top_p", topP, 0, 1);
        range("presence_penalty", presence, -2, 2);
        range("frequency_penalty", frequency, -2, 2);
    }

    private static void range(String param, Double value, double min, double max) {
        if (value != null && (value.isNaN() || value < min || value > max)) {
            throw ApiException.invalid(param, param + " must be between " + (int) min + " and "
                    + (int) max + ", not " + value);
        }
    }

    private static List<String> stop(JsonNode stop) {
        if (stop == null || stop.isNull()) {
            return null;
        }
        List<String> out = new ArrayList<>();
        if (stop.isTextual()) {
            out.add(stop.asText());
        } else if (stop.isArray()) {
            for (JsonNode s : stop) {
                if (!s.isTextual()) {
                    throw ApiException.invalid("stop",
                            "stop must be a string or an array of strings");
                }
                out.add(s.asText());
            }
        } else {
            throw ApiException.invalid("stop", "stop must be a string or an array of strings");
        }
        out.removeIf(String::isEmpty);
        if (out.size() > MAX_STOP) {
            throw ApiException.invalid("stop", "at most " + MAX_STOP + " stop sequences, not "
                    + out.size());
        }
        return out.isEmpty() ? null : List.copyOf(out);
    }

    private static Long seed(Long seed, int choice) {
        return seed == null ? null : seed + choice;
    }
}
