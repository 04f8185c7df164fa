package dev.infer.chat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.infer.client.ClientException;
import dev.infer.client.JsonHttp;
import dev.infer.protocol.ChatMessage;
import dev.infer.protocol.Json;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Answers through any OpenAI-compatible server ({@code infer api}, or another): {@code GET
 * /v1/models} and a streamed {@code POST /v1/chat/completions}, read as Server-Sent Events, with
 * usage asked for in the last chunk.
 */
public final class OpenAiBackend implements ChatBackend {
    private final String baseUrl;
    private final JsonHttp http;
    private final Duration timeout;
    private final InFlight inFlight = new InFlight();
    private Map<String, JsonNode> modelCache;

    /**
     * @param url the server, with or without {@code /v1} at the end
     * @param apiKey sent as {@code Authorization: Bearer}, or null
     */
    public OpenAiBackend(String url, String apiKey, Duration timeout) {
        String base = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
        this.baseUrl = base.endsWith("/v1") ? base : base + "/v1";
        this.http = new JsonHttp(apiKey);
        this.timeout = timeout;
    }

    @Override
    public String describe() {
        return "OpenAI-compatible API " + baseUrl;
    }

    @Override
    public synchronized List<String> models() {
        return new ArrayList<>(modelObjects().keySet());
    }

    private synchronized Map<String, JsonNode> modelObjects() {
        if (modelCache != null) {
            return modelCache;
        }
        JsonNode root;
        try {
            root = Json.mapper().readTree(http.getText(baseUrl + "/models", timeout));
        } catch (ClientException e) {
            throw new ChatException("no OpenAI-compatible API at " + baseUrl + " ("
                    + ControllerBackend.why(e) + ")", e);
        } catch (IOException e) {
            throw new ChatException(baseUrl + "/models: not JSON: " + e.getMessage(), e);
        }
        Map<String, JsonNode> models = new LinkedHashMap<>();
        for (JsonNode m : root.path("data")) {
            if (m.path("id").isTextual()) {
                models.put(m.get("id").asText(), m);
            }
        }
        if (models.isEmpty()) {
            throw new ChatException("the API at " + baseUrl + " serves no model");
        }
        modelCache = models;
        return models;
    }

    @Override
    public Map<String, String> details(String model) {
        Map<String, String> d = new LinkedHashMap<>();
        d.put("backend", describe());
        JsonNode m = modelObjects().get(model);
        if (m != null) {
            m.fields().forEachRemaining(f -> {
                if (!f.getKey().equals("id") && f.getValue().isValueNode()) {
                    d.put(f.getKey(), f.getValue().asText());
                }
            });
        }
        return d;
    }

    @Override
    public Answer chat(String model, List<ChatMessage> messages, ChatSettings settings,
            Consumer<String> onDelta) {
        ObjectNode body = Json.mapper().createObjectNode();
        body.put("model", model);
        ArrayNode array = body.putArray("messages");
        messages.forEach(m -> array.addObject().put("role", m.role()).put("content", m.content()));
        body.put("stream", true);
        body.putObject("stream_options").put("include_usage", true);
        body.put("temperature", settings.temperature());
        body.put("top_p", settings.topP());
        if (settings.maxTokens() != null) {
            body.put("max_tokens", settings.maxTokens());
        }
        String url = baseUrl + "/chat/completions";
        HttpRequest request = http.post(url, body, timeout).header("Accept", "text/event-stream").build();

        StringBuilder text = new StringBuilder();
        String finish = null;
        String servedModel = model;
        int prompt = -1;
        int completion = -1;
        inFlight.begin();
        try {
            HttpResponse<InputStream> response = http.stream(request);
            try (BufferedReader in = new BufferedReader(
                    new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null && !inFlight.cancelled()) {
                    if (!line.startsWith("data:")) {
                        continue; // blank separators, comments, event names
                    }
                    String data = line.substring(5).strip();
                    if (data.equals("[DONE]")) {
                        break;
                    }
                    JsonNode chunk = Json.mapper().readTree(data);
                    if (chunk.has("error")) {
                        throw new ChatException(url + ": " + chunk.path("error").path("message").asText("error"));
                    }
                    servedModel = chunk.path("model").asText(servedModel);
                    if (chunk.path("usage").isObject()) {
                        prompt = chunk.path("usage").path("prompt_tokens").asInt(-1);
                        completion = chunk.path("usage").path("completion_tokens").asInt(-1);
                    }
                    for (JsonNode choice : chunk.path("choices")) {
                        String delta = choice.path("delta").path("content").asText("");
                        if (!delta.isEmpty()) {
                            text.append(delta);
                            onDelta.accept(delta);
                        }
                        if (choice.path("finish_reason").isTextual()) {
                            finish = choice.get("finish_reason").asText();
                        }
                    }
                }
            }
        } catch (ClientException | IOException e) {
            if (!inFlight.cancelled()) {
                String why = e instanceof ClientException c ? c.getMessage() : url + ": " + e.getMessage();
                throw new ChatException(why, e);
            }
        } finally {
            inFlight.end();
        }
        if (inFlight.cancelled()) {
            return new Answer(text.toString(), servedModel, Answer.CANCELLED, -1, -1);
        }
        if (finish == null) {
            throw new ChatException(url + ": the stream ended without a finish reason");
        }
        return new Answer(text.toString(), servedModel, finish, prompt, completion);
    }

    @Override
    public void cancel() {
        inFlight.cancel();
    }

    @Override
    public void close() {
        // Nothing to release: the HTTP client is shared.
    }
}
