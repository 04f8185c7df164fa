package dev.infer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.ServerSocket;
import org.junit.jupiter.api.Test;

/** {@code infer api} through {@link Main#run}: help, usage errors and a port already taken. */
class ApiCommandTest {
    @Test
    void help_lists_the_api_options_and_exits_0() {
        MainTest.Run r = MainTest.run("api", "--help");
        assertEquals(0, r.code());
        for (String option : new String[] {"--controller", "--api-key", "--token", "--port",
                "--first-token-timeout",
            "--idle-timeout", "--cache-ttl"}) {
            assertTrue(r.out().contains(option), option + " missing from:\n" + r.out());
        }
    }

    @Test
    void a_port_out_of_range_is_a_usage_error() {
        MainTest.Run r = MainTest.run("api", "--port", "70000");
        assertEquals(2, r.code());
        assertTrue(r.err().startsWith("infer api: --port must be between 0 and 65535, got 70000\n"),
                r.err());
    }

    @Test
    void a_port_already_taken_is_one_line_and_exit_1() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            MainTest.Run r = MainTest.run("api", "--port", Integer.toString(taken.getLocalPort()));
            assertEquals(1, r.code());
            assertEquals("infer api: cannot listen on 127.0.0.1:" + taken.getLocalPort()
                    + ": address already in use",
                    r.err().strip());
        }
    }
}
