package dev.infer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

class MainTest {
    /** Output of one in-process run. */
    record Run(int code, String out, String err) {}

    static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void help_lists_usage_and_exits_zero() {
        Run r = run("--help");
        assertEquals(0, r.code());
        assertTrue(r.out().contains("Usage: infer"), r.out());
        assertTrue(r.out().contains("Exit codes:"), r.out());
    }

    @Test
    void version_names_the_program() {
        Run r = run("--version");
        assertEquals(0, r.code());
        assertTrue(r.out().startsWith("infer "), r.out());
    }

    @Test
    void unknown_flag_is_a_one_line_usage_error_with_a_hint() {
        Run r = run("--bogus");
        assertEquals(2, r.code());
        String[] lines = r.err().strip().split("\n");
        assertEquals(2, lines.length, r.err());
        assertTrue(lines[0].startsWith("infer: Unknown option: '--bogus'"), lines[0]);
        assertEquals("Try 'infer --help' for more information.", lines[1]);
    }

    @Test
    void no_command_is_a_usage_error() {
        Run r = run();
        assertEquals(2, r.code());
        assertTrue(r.err().contains("missing command"), r.err());
    }
}
