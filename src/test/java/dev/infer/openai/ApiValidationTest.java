package dev.infer.openai;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.infer.protocol.Json;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Bad input gets OpenAI's error object with the right status and the parameter named. */
class ApiValidationTest {
    private static final String CHAT = "/v1/chat/completions";
    private final HttpClient http = HttpClient.newHttpClient();
    private FakeWorker worker;
    private FakeController controller;
    private ApiServer api;

    @BeforeEach
    void start() {
        worker = FakeWorker.streaming("ok");
        controller = new FakeController().serve("m", worker.address());
        api = ApiServer.start(ApiConfig.local(controller.url()).withApiKeys(List.of("k1", "k2")));
    }

    @AfterEach
    void stop() {
        api.close();
        controller.close();
        worker.close();
    }

    private HttpResponse<String> post(String path, String body, String key) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(api.baseUrl() + path))
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (key != null) {
            b.header("Authorization", "Bearer " + key);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private JsonNode error(HttpResponse<String> r, int status) throws Exception {
        assertEquals(status, r.statusCode(), r.body());
        JsonNode error = Json.mapper().readTree(r.body()).get("error");
        assertTrue(error.get("message").asText().length() > 5, r.body());
        assertFalse(r.body().contains("at dev.infer"), r.body());
        assertTrue(error.has("param") && error.has("code") && error.has("type"), r.body());
        return error;
    }

    private JsonNode chatError(String body) throws Exception {
        return error(post(CHAT, body, "k1"), 400);
    }

    private static String chat(String extra) {
        return "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]" + extra
                + "}";
    }

    @Test
    void malformed_json_is_a_400() throws Exception {
        JsonNode e = chatError("{\"model\": ");
        assertTrue(e.get("message").asText().startsWith("malformed JSON"), e.toString());
        assertEquals("invalid_request_error", e.get("type").asText());
    }

    @Test
    void a_string_where_a_number_belongs_is_a_400_naming_the_field() throws Exception {
        assertEquals("temperature", chatError(chat(",\"temperature\":\"hot\"")).get("param")
                .asText());
    }

    @Test
    void n_of_zero_is_a_400_naming_n() throws Exception {
        JsonNode e = chatError(chat(",\"n\":0"));
        assertEquals("n", e.get("param").asText());
        assertTrue(e.get("message").asText().contains("not 0"), e.toString());
    }

    @Test
    void negative_temperature_is_a_400_naming_temperature() throws Exception {
        assertEquals("temperature", chatError(chat(",\"temperature\":-1")).get("param").asText());
    }

    @Test
    void negative_max_tokens_is_a_400_naming_max_tokens() throws Exception {
        assertEquals("max_tokens", chatError(chat(",\"max_tokens\":-5")).get("param").asText());
    }

    @Test
    void missing_messages_is_a_400_naming_messages() throws Exception {
        assertEquals("messages", chatError("{\"model\":\"m\"}").get("param").asText());
    }

    @Test
    void an_image_part_is_a_400_naming_the_part() throws Exception {
        JsonNode e = chatError("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":"
                + "[{\"type\":\"image_url\",\"image_url\":{\"url\":\"x\"}}]}]}");
        assertEquals("messages[0].content[0]", e.get("param").asText());
    }

    @Test
    void stream_options_without_stream_is_a_400() throws Exception {
        assertEquals("stream_options",
                chatError(chat(",\"stream_options\":{\"include_usage\":true}")).get("param")
                        .asText());
    }

    @Test
    void an_unknown_model_is_a_404() throws Exception {
        JsonNode e = error(post(CHAT,
                "{\"model\":\"nope\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}",
                "k1"), 404);
        assertEquals("model_not_found", e.get("code").asText());
    }

    @Test
    void a_missing_key_is_a_401_and_either_configured_key_works() throws Exception {
        assertEquals("invalid_api_key", error(post(CHAT, chat(""), null),
                401).get("code").asText());
        assertEquals(200, post(CHAT, chat(""), "k2").statusCode());
    }

    @Test
    void an_unknown_encoding_format_is_a_400() throws Exception {
        JsonNode e = error(post("/v1/embeddings",
                "{\"model\":\"m\",\"input\":\"x\",\"encoding_format\":\"hex\"}",
                "k1"), 400);
        assertEquals("encoding_format", e.get("param").asText());
    }

    @Test
    void token_id_prompts_are_refused_with_a_reason() throws Exception {
        JsonNode e = error(post("/v1/completions", "{\"model\":\"m\",\"prompt\":[[1,2,3]]}", "k1"),
                400);
        assertEquals("prompt[0]", e.get("param").asText());
    }

    @Test
    void the_request_id_is_echoed_or_generated() throws Exception {
        HttpResponse<String> echoed = http.send(HttpRequest.newBuilder(URI.create(api.baseUrl()
                + CHAT))
                .header("Authorization", "Bearer k1").header("X-Request-Id", "trace-42")
                .POST(HttpRequest.BodyPublishers.ofString(chat(""))).build(),
                        HttpResponse.BodyHandlers.ofString());
        assertEquals("trace-42", echoed.headers().firstValue("x-request-id").orElseThrow());
        String generated = post(CHAT, chat(""), "k1").headers().firstValue("x-request-id")
                .orElseThrow();
        assertTrue(generated.startsWith("req_"), generated);
    }

    @Test
    void ignore_eos_reaches_the_worker_and_must_be_a_boolean() throws Exception {
        assertEquals(200, post(CHAT, chat(",\"ignore_eos\":true"), "k1").statusCode());
        assertEquals(Boolean.TRUE, worker.requests.poll().ignoreEos());
        assertEquals(200, post("/v1/completions", "{\"model\":\"m\",\"prompt\":\"hi\"}", "k1")
                .statusCode());
        assertNull(worker.requests.poll().ignoreEos());
        JsonNode e = chatError(chat(",\"ignore_eos\":\"yes\""));
        assertEquals("ignore_eos", e.get("param").asText());
        assertTrue(e.get("message").asText().contains("expected true or false"), e.toString());
    }

    @Test
    void a_bad_request_does_not_disturb_the_next_one() throws Exception {
        chatError("[1,2");
        HttpResponse<String> ok = post(CHAT, chat(""), "k1");
        assertEquals(200, ok.statusCode(), ok.body());
        assertEquals("ok", Json.mapper().readTree(ok.body()).at("/choices/0/message/content")
                .asText());
    }

    @Test
    void metrics_count_requests_by_route_and_status() throws Exception {
        post(CHAT, chat(""), "k1");
        post(CHAT, chat(",\"n\":0"), "k1");
        String metrics = http.send(HttpRequest.newBuilder(URI.create(api.baseUrl()
                + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        assertTrue(metrics.contains(
                "infer_api_requests_total{route=\"/v1/chat/completions\",status=\"200\"} 1.0"),
                metrics);
        assertTrue(metrics.contains(
                "infer_api_requests_total{route=\"/v1/chat/completions\",status=\"400\"} 1.0"),
                metrics);
        assertTrue(metrics.contains("infer_api_time_to_first_token_seconds_count 1"), metrics);
        assertTrue(metrics.contains("infer_api_tokens_total{kind=\"completion\"} 1.0"), metrics);
    }
}
