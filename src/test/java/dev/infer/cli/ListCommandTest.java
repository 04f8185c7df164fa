package dev.infer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.infer.controller.ControllerServer;
import dev.infer.protocol.Json;
import java.net.ServerSocket;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@code infer list} and {@code infer controller} run in process through {@code Main.run}. */
class ListCommandTest {
    private ControllerServer controller;

    @AfterEach
    void stop() {
        if (controller != null) {
            controller.close();
        }
    }

    private ControllerServer start(String token) {
        controller = ControllerServer.config().port(0).token(token).start();
        controller.registry().register("http://127.0.0.1:21002", List.of("llama", "gpt2"), 1, 3, true);
        controller.registry().register("http://127.0.0.1:21003", List.of("llama"), 2.5, 0, true);
        return controller;
    }

    @Test
    void list_prints_a_table_of_workers() {
        start(null);
        MainTest.Run r = MainTest.run("list", "--controller", controller.baseUrl());
        assertEquals(0, r.code(), r.err());
        String[] lines = r.out().strip().split("\n");
        assertEquals(3, lines.length, r.out());
        assertTrue(lines[0].matches("WORKER +MODELS +SPEED +QUEUE +LAST HEARTBEAT +STATE"), lines[0]);
        assertTrue(lines[1].matches("http://127.0.0.1:21002 +llama,gpt2 +1 +3 +\\d+\\.\\ds ago +healthy"), lines[1]);
        assertTrue(lines[2].matches("http://127.0.0.1:21003 +llama +2.5 +0 +\\d+\\.\\ds ago +healthy"), lines[2]);
        assertEquals("", r.err());
    }

    @Test
    void list_models_counts_workers_per_model() {
        start(null);
        MainTest.Run r = MainTest.run("list", "--models", "--controller", controller.baseUrl());
        assertEquals(0, r.code(), r.err());
        assertEquals(List.of("MODEL  WORKERS", "gpt2   1", "llama  2"), List.of(r.out().strip().split("\n")));
    }

    @Test
    void list_json_prints_only_json_on_stdout() throws Exception {
        start(null);
        MainTest.Run r = MainTest.run("list", "--json", "--controller", controller.baseUrl());
        assertEquals(0, r.code(), r.err());
        var node = Json.mapper().readTree(r.out());
        assertEquals(2, node.get("workers").size());
        assertEquals("http://127.0.0.1:21003", node.get("workers").get(1).get("worker_name").asText());
        var models = Json.mapper().readTree(
                MainTest.run("list", "--models", "--json", "--controller", controller.baseUrl()).out());
        assertEquals("{\"models\":[{\"model\":\"gpt2\",\"workers\":1},{\"model\":\"llama\",\"workers\":2}]}",
                models.toString());
    }

    @Test
    void list_sends_the_token_the_controller_requires() {
        start("s3cret");
        assertEquals(0, MainTest.run("list", "--token", "s3cret", "--controller", controller.baseUrl()).code());
        MainTest.Run refused = MainTest.run("list", "--token", "wrong", "--controller", controller.baseUrl());
        assertEquals(1, refused.code());
        assertEquals("infer list: controller at " + controller.baseUrl() + " answered: invalid bearer token",
                refused.err().strip());
    }

    @Test
    void unreachable_controller_is_one_line_naming_the_url_and_exit_one() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        String url = "http://127.0.0.1:" + port;
        MainTest.Run r = MainTest.run("list", "--controller", url);
        assertEquals(1, r.code());
        assertEquals("infer list: cannot reach controller at " + url + " (connection refused); "
                + "start one with 'infer controller' or pass --controller URL\n", r.err());
        assertEquals("", r.out());
    }

    @Test
    void controller_on_a_port_in_use_fails_with_one_line_and_exit_one() throws Exception {
        try (ServerSocket busy = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            int port = busy.getLocalPort();
            MainTest.Run r = MainTest.run("controller", "--port", Integer.toString(port));
            assertEquals(1, r.code());
            assertEquals("infer controller: cannot listen on 127.0.0.1:" + port + ": address already in use\n",
                    r.err());
        }
    }

    @Test
    void controller_rejects_an_unknown_dispatch_policy_as_a_usage_error() {
        MainTest.Run r = MainTest.run("controller", "--dispatch", "fastest");
        assertEquals(2, r.code());
        assertTrue(r.err().startsWith("infer controller: Invalid value for option '--dispatch'"), r.err());
        assertTrue(r.err().contains("choose one of shortest-queue, lottery, round-robin"), r.err());
    }

    @Test
    void controller_rejects_a_non_positive_heartbeat_expiration() {
        MainTest.Run r = MainTest.run("controller", "--heartbeat-expiration", "0");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("must be a positive number of seconds"), r.err());
    }

    @Test
    void controller_help_shows_its_flags_and_defaults() {
        MainTest.Run r = MainTest.run("controller", "--help");
        assertEquals(0, r.code());
        for (String flag : new String[] {"--host", "--port", "--dispatch", "--heartbeat-expiration", "--token"}) {
            assertTrue(r.out().contains(flag), flag + " missing from " + r.out());
        }
        assertTrue(r.out().contains("lottery") && r.out().contains("round-robin"), r.out());
        assertTrue(r.out().contains("(default: 21001)"), r.out());
    }
}
