package dev.infer.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.infer.protocol.Json;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The controller's endpoints driven with bodies byte for byte as FastChat sends them: its
 * model_worker (python requests, json.dumps spacing) and its openai_api_server (aiohttp; a
 * /list_models call carries no body at all).
 */
class ControllerRoutesTest {
    /** base_model_worker.register_to_controller. */
    private static final String FASTCHAT_REGISTER = "{\"worker_name\": \"http://localhost:21002\", "
            + "\"check_heart_beat\": true, \"worker_status\": {\"model_names\": [\"vicuna-7b-v1.5\"], "
            + "\"speed\": 1, \"queue_length\": 0}, \"multimodal\": false}";
    /** base_model_worker.send_heart_beat. */
    private static final String FASTCHAT_HEARTBEAT =
            "{\"worker_name\": \"http://localhost:21002\", \"queue_length\": 3}";

    private ControllerHarness c;

    @AfterEach
    void stop() {
        if (c != null) {
            c.close();
        }
    }

    private static JsonNode json(HttpResponse<String> r) throws Exception {
        return Json.mapper().readTree(r.body());
    }

    @Test
    void fastchat_worker_registers_heartbeats_and_is_found_by_the_api_server() throws Exception {
        c = new ControllerHarness();
        var reg = c.post("/register_worker", FASTCHAT_REGISTER);
        assertEquals(200, reg.statusCode());
        assertEquals("null", reg.body());
        var hb = c.post("/receive_heart_beat", FASTCHAT_HEARTBEAT);
        assertEquals("{\"exist\":true}", hb.body());
        var models = c.post("/list_models", null);
        assertEquals("{\"models\":[\"vicuna-7b-v1.5\"]}", models.body());
        var address = c.post("/get_worker_address", "{\"model\": \"vicuna-7b-v1.5\"}");
        assertEquals("{\"address\":\"http://localhost:21002\"}", address.body());
    }

    @Test
    void heartbeat_from_an_unknown_worker_answers_exist_false() throws Exception {
        c = new ControllerHarness();
        var hb = c.post("/receive_heart_beat", FASTCHAT_HEARTBEAT);
        assertEquals(200, hb.statusCode());
        assertEquals("{\"exist\":false}", hb.body());
    }

    @Test
    void unknown_model_gets_an_empty_address() throws Exception {
        c = new ControllerHarness();
        var r = c.post("/get_worker_address", "{\"model\": \"nope\"}");
        assertEquals(200, r.statusCode());
        assertEquals("{\"address\":\"\"}", r.body());
    }

    @Test
    void test_connection_answers_success_as_fastchat_does() throws Exception {
        c = new ControllerHarness();
        var r = c.get("/test_connection");
        assertEquals(200, r.statusCode());
        assertEquals("\"success\"", r.body());
    }

    @Test
    void worker_get_status_sums_over_workers() throws Exception {
        c = new ControllerHarness();
        c.post("/register_worker", FASTCHAT_REGISTER);
        c.post("/register_worker", "{\"worker_name\": \"http://localhost:21003\", \"check_heart_beat\": true, "
                + "\"worker_status\": {\"model_names\": [\"a\", \"vicuna-7b-v1.5\"], \"speed\": 2, \"queue_length\": 4}}");
        JsonNode s = json(c.post("/worker_get_status", null));
        assertEquals("[\"a\",\"vicuna-7b-v1.5\"]", s.get("model_names").toString());
        assertEquals(3.0, s.get("speed").asDouble());
        assertEquals(4, s.get("queue_length").asInt());
    }

    @Test
    void list_workers_shows_models_speed_queue_heartbeat_age_and_state() throws Exception {
        c = new ControllerHarness();
        c.post("/register_worker", FASTCHAT_REGISTER);
        c.clock.advance(java.time.Duration.ofSeconds(12));
        JsonNode w = json(c.post("/list_workers", null)).get("workers").get(0);
        assertEquals("http://localhost:21002", w.get("worker_name").asText());
        assertEquals("[\"vicuna-7b-v1.5\"]", w.get("model_names").toString());
        assertEquals(1.0, w.get("speed").asDouble());
        assertEquals(0, w.get("queue_length").asInt());
        assertEquals(12.0, w.get("last_heart_beat_seconds_ago").asDouble());
        assertEquals("healthy", w.get("state").asText());
    }

    @Test
    void bad_inputs_are_400_validation_errors_naming_the_field() throws Exception {
        c = new ControllerHarness();
        String[][] cases = {
            {"/register_worker", "{nope", "malformed JSON"},
            {"/register_worker", "", "request body is empty"},
            {"/register_worker", "{\"check_heart_beat\": true, \"worker_status\": {\"model_names\": [\"m\"], "
                + "\"speed\": 1, \"queue_length\": 0}}", "worker_name"},
            {"/register_worker", "{\"worker_name\": \"localhost:21002\", \"worker_status\": {\"model_names\": "
                + "[\"m\"], \"speed\": 1, \"queue_length\": 0}}", "worker_name"},
            {"/register_worker", "{\"worker_name\": \"ftp://h:1\", \"worker_status\": {\"model_names\": "
                + "[\"m\"], \"speed\": 1, \"queue_length\": 0}}", "worker_name"},
            {"/register_worker", "{\"worker_name\": \"http://u:p@h:1\", \"worker_status\": {\"model_names\": "
                + "[\"m\"], \"speed\": 1, \"queue_length\": 0}}", "worker_name"},
            {"/register_worker", "{\"worker_name\": \"http://h:1/?q=1\", \"worker_status\": {\"model_names\": "
                + "[\"m\"], \"speed\": 1, \"queue_length\": 0}}", "worker_name"},
            {"/register_worker", "{\"worker_name\": \"http://h:1\", \"worker_status\": {\"model_names\": "
                + "[\"m\"], \"speed\": -1, \"queue_length\": 0}}", "worker_status.speed"},
            {"/register_worker", "{\"worker_name\": \"http://h:1\", \"worker_status\": {\"model_names\": "
                + "[\"m\"], \"speed\": 1, \"queue_length\": -2}}", "worker_status.queue_length"},
            {"/register_worker", "{\"worker_name\": \"http://h:1\", \"worker_status\": {\"model_names\": "
                + "[], \"speed\": 1, \"queue_length\": 0}}", "worker_status.model_names"},
            {"/register_worker", "{\"worker_name\": \"http://h:1\", \"worker_status\": {\"model_names\": "
                + "\"m\", \"speed\": \"fast\", \"queue_length\": 0}}", "worker_status."},
            {"/receive_heart_beat", "{\"worker_name\": \"http://h:1\"}", "queue_length"},
            {"/receive_heart_beat", "{\"worker_name\": \"http://h:1\", \"queue_length\": -1}", "queue_length"},
            {"/receive_heart_beat", "{\"worker_name\": 5, \"queue_length\": 1}", "worker_name"},
            {"/receive_heart_beat", "{\"worker_name\": \"http://h:1\", \"queue_length\": 1.5}", "queue_length"},
            {"/get_worker_address", "{}", "model"},
            {"/get_worker_address", "[1]", "invalid request"},
            {"/worker_generate_stream", "{\"prompt\": \"hi\"}", "model"},
            {"/kill_worker", "{}", "worker_name"},
            {"/kill_worker", "{\"model\": \"m\", \"all\": true}", "exactly one"},
        };
        for (String[] t : cases) {
            var r = c.post(t[0], t[1]);
            String what = t[0] + " " + t[1] + " -> " + r.body();
            assertEquals(400, r.statusCode(), what);
            JsonNode body = json(r);
            assertEquals(40001, body.get("error_code").asInt(), what);
            assertTrue(body.get("text").asText().contains(t[2]), what);
            assertFalse(r.body().contains("at dev.infer") || r.body().contains("Exception"), what);
        }
        // And the controller carries on.
        assertEquals(200, c.post("/register_worker", FASTCHAT_REGISTER).statusCode());
        assertEquals(0, c.server.registry().modelCounts().getOrDefault("m", 0));
        String metrics = c.get("/metrics").body();
        assertTrue(metrics.contains("infer_controller_errors_total{code=\"40001\"} " + cases.length + ".0"), metrics);
    }

    @Test
    void token_when_set_is_required_everywhere_but_health() throws Exception {
        c = new ControllerHarness("s3cret", new DispatchPolicy.ShortestQueue());
        assertEquals(401, c.post("/register_worker", FASTCHAT_REGISTER).statusCode());
        assertEquals(401, c.post("/receive_heart_beat", FASTCHAT_HEARTBEAT, "Bearer wrong").statusCode());
        assertEquals(401, c.get("/test_connection").statusCode());
        assertEquals(401, c.get("/metrics").statusCode());
        assertEquals(200, c.get("/health").statusCode());
        assertEquals(200, c.post("/register_worker", FASTCHAT_REGISTER, "Bearer s3cret").statusCode());
        assertEquals(1, c.server.registry().size());
    }

    @Test
    void without_a_token_fastchat_workers_register_without_credentials() throws Exception {
        c = new ControllerHarness();
        assertEquals(200, c.post("/register_worker", FASTCHAT_REGISTER).statusCode());
        assertEquals(1, c.server.registry().size());
    }

    @Test
    void metrics_count_workers_models_dispatches_and_heartbeats() throws Exception {
        c = new ControllerHarness();
        c.post("/register_worker", FASTCHAT_REGISTER);
        c.post("/receive_heart_beat", FASTCHAT_HEARTBEAT);
        c.post("/get_worker_address", "{\"model\": \"vicuna-7b-v1.5\"}");
        c.post("/get_worker_address", "{\"model\": \"vicuna-7b-v1.5\"}");
        String m = c.get("/metrics").body();
        assertTrue(m.contains("infer_controller_workers 1.0"), m);
        assertTrue(m.contains("infer_controller_models 1.0"), m);
        assertTrue(m.contains("infer_controller_dispatches_total{model=\"vicuna-7b-v1.5\"} 2.0"), m);
        assertTrue(m.contains("infer_controller_heartbeats_total 1.0"), m);
    }

    @Test
    void silent_worker_is_no_longer_routed_after_the_reaper_runs() throws Exception {
        c = new ControllerHarness();
        c.post("/register_worker", FASTCHAT_REGISTER);
        c.clock.advance(java.time.Duration.ofSeconds(91));
        // The real reaper thread runs every 4.5 s of wall time; drive a pass as it would.
        c.server.registry().expire();
        assertEquals("{\"address\":\"\"}", c.post("/get_worker_address", "{\"model\": \"vicuna-7b-v1.5\"}").body());
        assertEquals("{\"exist\":false}", c.post("/receive_heart_beat", FASTCHAT_HEARTBEAT).body());
    }
}
