package dev.infer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.infer.controller.ControllerServer;
import java.io.IOException;
import java.net.ServerSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@code infer kill} and {@code infer test} failures, in process, against a real controller. */
class KillCommandTest {
    private ControllerServer controller;

    @AfterEach
    void stop() {
        if (controller != null) {
            controller.close();
        }
    }

    @Test
    void kill_that_matches_nothing_exits_1_with_one_clear_line() {
        controller = ControllerServer.config().port(0).start();
        MainTest.Run r =
                MainTest.run("kill", "--model", "nope", "--controller", controller.baseUrl());
        assertEquals(1, r.code());
        assertEquals(
                "infer kill: nothing to stop: no worker serving model nope is registered",
                r.err().strip());
    }

    @Test
    void kill_needs_exactly_one_of_target_model_or_all() {
        MainTest.Run none = MainTest.run("kill");
        assertEquals(2, none.code());
        assertTrue(
                none.err()
                        .startsWith(
                                "infer kill: give exactly one of TARGET, --model NAME or --all"),
                none.err());
        assertEquals(2, MainTest.run("kill", "--all", "--model", "x").code());
    }

    @Test
    void kill_with_the_controller_down_says_so_and_exits_1() throws IOException {
        int port;
        try (ServerSocket probe = new ServerSocket(0)) {
            port = probe.getLocalPort();
        }
        MainTest.Run r = MainTest.run("kill", "--all", "--controller", "http://127.0.0.1:" + port);
        assertEquals(1, r.code());
        assertTrue(
                r.err()
                        .startsWith(
                                "infer kill: cannot reach controller at http://127.0.0.1:" + port),
                r.err());
    }

    @Test
    void test_with_no_registered_model_exits_1() {
        controller = ControllerServer.config().port(0).start();
        MainTest.Run r = MainTest.run("test", "--controller", controller.baseUrl());
        assertEquals(1, r.code());
        assertEquals("infer test: no models: no worker is registered with " + controller.baseUrl(),
                r.err().strip());
    }
}
