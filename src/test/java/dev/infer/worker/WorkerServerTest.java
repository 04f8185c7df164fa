package dev.infer.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.infer.engine.LoadedModel;
import dev.infer.engine.Message;
import dev.infer.engine.ModelOptions;
import dev.infer.engine.Models;
import dev.infer.engine.SamplingParams;
import dev.infer.protocol.Json;
import dev.infer.testing.SharedModels;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The worker's endpoints on the real engine: ONNX Runtime on the shared tiny Llama model, its real
 * tokenizer and chat template, over real HTTP. One worker serves the whole class (loading the
 * model is the slow part); the tests only read from it.
 */
class WorkerServerTest {
    private static final HttpClient http = HttpClient.newHttpClient();
    private static LoadedModel model;
    private static WorkerServer worker;

    @BeforeAll
    static void start() {
        model = Models.load(SharedModels.require(SharedModels.LLAMA_FP16), ModelOptions.defaults());
        worker = WorkerServer.start(model, WorkerOptions.builder().port(0).register(false).build());
    }

    @AfterAll
    static void stop() {
        if (worker != null) {
            worker.close();
        }
    }

    private static HttpResponse<byte[]> post(String path, String body) throws Exception {
        return http.send(
                HttpRequest.newBuilder(URI.create(worker.address() + path))
                        .POST(HttpRequest.BodyPublishers.ofString(body))
                        .build(),
                HttpResponse.BodyHandlers.ofByteArray());
    }

    private static JsonNode json(HttpResponse<byte[]> r) throws Exception {
        return Json.mapper().readTree(r.body());
    }

    private static List<JsonNode> frames(byte[] body) throws Exception {
        assertTrue(body.length > 0 && body[body.length - 1] == 0, "every frame must end in \\0");
        List<JsonNode> out = new ArrayList<>();
        for (String f : new String(body, StandardCharsets.UTF_8).split("\0")) {
            if (!f.isEmpty()) {
                out.add(Json.mapper().readTree(f));
            }
        }
        return out;
    }

    @Test
    void stream_frames_end_in_nul_and_carry_the_whole_text_so_far_with_usage_on_the_last()
            throws Exception {
        HttpResponse<byte[]> r = post("/worker_generate_stream",
                "{\"model\": \"" + model.info().name() + "\", \"prompt\": \"Hello, my name is\","
                        + " \"temperature\": 0, \"max_new_tokens\": 300}");
        assertEquals(200, r.statusCode());
        // A slow reader gets fewer, larger frames; 300 tokens leave even a loaded machine
        // time to send progress before the end.
        List<JsonNode> frames = frames(r.body());
        assertTrue(frames.size() >= 2, "expected progress frames and a final one: " + frames);
        String previous = "";
        for (JsonNode f : frames) {
            assertEquals(0, f.get("error_code").asInt());
            String text = f.get("text").asText();
            assertTrue(
                    text.startsWith(previous), "text must be the whole output so far: " + frames);
            previous = text;
        }
        JsonNode last = frames.get(frames.size() - 1);
        assertTrue(List.of("stop", "length").contains(last.get("finish_reason").asText()));
        JsonNode usage = last.get("usage");
        assertEquals(model.countTokens("Hello, my name is"), usage.get("prompt_tokens").asInt());
        assertEquals(usage.get("prompt_tokens").asInt() + usage.get("completion_tokens").asInt(),
                usage.get("total_tokens").asInt());
        for (JsonNode f : frames.subList(0, frames.size() - 1)) {
            assertFalse(f.has("finish_reason"), "only the last chunk has a finish reason");
        }
    }

    @Test
    void generate_answers_the_final_chunk_of_the_same_greedy_stream() throws Exception {
        String body =
                "{\"prompt\": \"I think that it is\", \"temperature\": 0, \"max_new_tokens\": 10}";
        List<JsonNode> frames = frames(post("/worker_generate_stream", body).body());
        HttpResponse<byte[]> r = post("/worker_generate", body);
        assertEquals(200, r.statusCode());
        JsonNode result = json(r);
        assertEquals(frames.get(frames.size() - 1), result);
        assertEquals(10, result.get("usage").get("completion_tokens").asInt(), result.toString());
        assertEquals("length", result.get("finish_reason").asText());
    }

    @Test
    void messages_are_rendered_with_the_model_chat_template() throws Exception {
        String rendered = model.renderChat(List.of(new Message("user", "Hello there")));
        JsonNode viaMessages = json(post("/worker_generate", "{\"messages\": [{\"role\": \"user\","
                + " \"content\": \"Hello there\"}], \"temperature\": 0, \"max_new_tokens\": 6}"));
        JsonNode viaPrompt = json(post("/worker_generate", "{\"prompt\": "
                + Json.write(rendered) + ", \"temperature\": 0, \"max_new_tokens\": 6}"));
        assertEquals(
                model.countTokens(rendered), viaMessages.get("usage").get("prompt_tokens").asInt());
        assertEquals(viaPrompt.get("text"), viaMessages.get("text"));
    }

    @Test
    void sampling_left_out_follows_the_model_defaults_which_are_greedy_here() throws Exception {
        assertEquals(SamplingParams.GREEDY, model.defaultSampling());
        JsonNode bare = json(post("/worker_generate",
                "{\"prompt\": \"I think\", \"max_new_tokens\": 8}"));
        JsonNode greedy = json(post("/worker_generate",
                "{\"prompt\": \"I think\", \"temperature\": 0, \"max_new_tokens\": 8}"));
        assertEquals(greedy.get("text"), bare.get("text"));
    }

    @Test
    void echo_puts_the_prompt_in_front_of_the_answer() throws Exception {
        JsonNode r =
                json(
                        post(
                                "/worker_generate",
                                "{\"prompt\": \"I think\", \"echo\": true, \"temperature\": 0,"
                                        + " \"max_new_tokens\": 3}"));
        assertTrue(r.get("text").asText().startsWith("I think"), r.toString());
    }

    private static void assertRefused(String body, int status, int code, String... mentions)
            throws Exception {
        for (String path : List.of("/worker_generate_stream", "/worker_generate")) {
            HttpResponse<byte[]> r = post(path, body);
            String text = new String(r.body(), StandardCharsets.UTF_8);
            assertEquals(status, r.statusCode(), path + " " + text);
            JsonNode error = Json.mapper().readTree(text);
            assertEquals(code, error.get("error_code").asInt(), text);
            for (String m : mentions) {
                assertTrue(
                        error.get("text").asText().contains(m), "'" + m + "' missing from " + text);
            }
            assertFalse(
                    text.contains("\tat ") || text.contains("Exception"), "no internals: " + text);
        }
    }

    @Test
    void malformed_json_is_a_validation_error() throws Exception {
        assertRefused("{\"prompt\": \"hi\", ", 400, 40001, "malformed JSON");
    }

    @Test
    void a_string_temperature_is_a_validation_error_naming_the_field() throws Exception {
        assertRefused("{\"prompt\": \"hi\", \"temperature\": \"hot\"}", 400, 40001, "temperature");
    }

    @Test
    void ignore_eos_must_be_a_boolean() throws Exception {
        assertRefused("{\"prompt\": \"hi\", \"ignore_eos\": \"yes\"}", 400, 40001, "ignore_eos",
                "expected true or false");
    }

    @Test
    void negative_max_new_tokens_is_out_of_range() throws Exception {
        assertRefused(
                "{\"prompt\": \"hi\", \"max_new_tokens\": -5}", 400, 40302, "max_new_tokens", "-5");
    }

    @Test
    void top_p_above_one_is_out_of_range() throws Exception {
        assertRefused("{\"prompt\": \"hi\", \"top_p\": 3}", 400, 40302, "top_p");
    }

    @Test
    void negative_temperature_is_out_of_range() throws Exception {
        assertRefused("{\"prompt\": \"hi\", \"temperature\": -0.5}", 400, 40302, "temperature");
    }

    @Test
    void a_model_the_worker_does_not_serve_is_refused_with_40301() throws Exception {
        assertRefused("{\"model\": \"gpt-9\", \"prompt\": \"hi\"}", 404, 40301, "gpt-9",
                model.info().name());
    }

    @Test
    void a_prompt_that_does_not_fit_the_context_names_both_numbers() throws Exception {
        int context = model.info().contextLength();
        assertRefused("{\"prompt\": \"hi\", \"max_new_tokens\": " + context + "}", 400, 40303,
                String.valueOf(context), "max_new_tokens");
    }

    @Test
    void a_huge_max_new_tokens_is_a_context_overflow_not_an_integer_overflow() throws Exception {
        assertRefused(
                "{\"prompt\": \"hi\", \"max_new_tokens\": 2147483647}", 400, 40303, "2147483647");
    }

    @Test
    void prompt_and_messages_together_or_neither_are_refused() throws Exception {
        assertRefused(
                "{\"prompt\": \"hi\", \"messages\": [{\"role\": \"user\", \"content\": \"x\"}]}",
                400,
                40001,
                "not both");
        assertRefused("{\"temperature\": 0}", 400, 40001, "prompt");
    }

    @Test
    void count_token_model_details_conv_template_and_status_have_fastchat_shapes()
            throws Exception {
        JsonNode count = json(post("/count_token", "{\"prompt\": \"Hello, my name is\"}"));
        assertEquals(model.countTokens("Hello, my name is"), count.get("count").asInt());
        assertEquals(0, count.get("error_code").asInt());
        assertEquals(model.info().contextLength(),
                json(post("/model_details", "{}")).get("context_length").asInt());
        JsonNode conv = json(post("/worker_get_conv_template", "{}")).get("conv");
        assertNotNull(conv.get("roles"), conv.toString());
        assertNotNull(conv.get("sep_style"), conv.toString());
        JsonNode status = json(post("/worker_get_status", ""));
        assertEquals(model.info().name(), status.get("model_names").get(0).asText());
        assertEquals(0, status.get("queue_length").asInt());
        assertTrue(status.get("speed").asDouble() > 0);
    }

    @Test
    void metrics_count_requests_tokens_and_time_to_first_token() throws Exception {
        post(
                "/worker_generate",
                "{\"prompt\": \"I think\", \"temperature\": 0, \"max_new_tokens\": 4}");
        String metrics =
                http.send(
                                HttpRequest.newBuilder(URI.create(worker.address() + "/metrics"))
                                        .build(),
                                HttpResponse.BodyHandlers.ofString())
                        .body();
        assertTrue(
                metrics.contains(
                        "infer_worker_requests_total{endpoint=\"worker_generate\",outcome=\"ok\"}"),
                metrics);
        assertTrue(metrics.contains("infer_worker_generated_tokens_total"), metrics);
        assertTrue(metrics.contains("infer_worker_time_to_first_token_seconds_count"), metrics);
        assertTrue(metrics.contains("infer_worker_inter_token_latency_seconds_count"), metrics);
        assertTrue(metrics.contains("infer_worker_queue_length 0"), metrics);
    }

    @Test
    void embeddings_on_a_decoder_are_refused_with_a_reason() throws Exception {
        HttpResponse<byte[]> r = post("/worker_get_embeddings", "{\"input\": [\"hello\"]}");
        assertEquals(400, r.statusCode(), new String(r.body(), StandardCharsets.UTF_8));
        assertEquals(40001, json(r).get("error_code").asInt());
    }
}
