package dev.infer.chat;

import dev.infer.testing.Await;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.jline.terminal.Size;
import org.jline.terminal.Terminal;
import org.jline.terminal.impl.ExternalTerminal;

/**
 * Runs a {@link ChatRepl} on a JLine terminal whose keyboard and screen are pipes: the test types
 * keys and waits for text to appear on the screen. The terminal is an xterm with a line
 * discipline, so Ctrl-C becomes a real INT signal and bracketed paste is switched on.
 */
final class TerminalDriver implements AutoCloseable {
    static final Duration WAIT = Duration.ofSeconds(10);

    private final PipedOutputStream keys = new PipedOutputStream();
    /** Everything written to the screen; synchronized, and decoded as UTF-8 when read. */
    private final ByteArrayOutputStream screen = new ByteArrayOutputStream();
    private final Terminal terminal;
    final ChatSession session;
    private final CompletableFuture<Void> done;

    TerminalDriver(ChatBackend backend, ChatSettings settings, Path history) throws IOException {
        PipedInputStream in = new PipedInputStream(keys, 64 * 1024);
        // ExternalTerminal runs JLine's own line discipline in Java, so Ctrl-C raises INT here; a
        // builder with streams would open a native pty whose SIGINT goes to no process of ours.
        terminal = new ExternalTerminal("test", "xterm", in, screen, StandardCharsets.UTF_8);
        terminal.setSize(new Size(200, 50));
        session = new ChatSession(backend, settings, terminal.writer());
        ChatRepl repl = new ChatRepl(terminal, session, history, backend::models);
        done = CompletableFuture.runAsync(repl::run);
    }

    /** Types text (use \r for Enter). */
    void type(String text) throws IOException {
        keys.write(text.getBytes(StandardCharsets.UTF_8));
        keys.flush();
    }

    /** Waits until the screen shows {@code text} after position {@code from}; returns its end. */
    int await(String text, int from) {
        try {
            Await.until(WAIT, "'" + text + "' on screen", () -> screen().indexOf(text, from) >= 0);
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "; the screen shows: " + visible(screen()), e);
        }
        return screen().indexOf(text, from) + text.length();
    }

    /** Waits until the screen shows {@code text} anywhere. */
    int await(String text) {
        return await(text, 0);
    }

    /** Waits for the next prompt after position {@code from}. */
    int prompt(int from) {
        return await(ChatRepl.PROMPT, from);
    }

    /** The screen's text with control characters made visible, for failure messages. */
    static String visible(String text) {
        StringBuilder b = new StringBuilder();
        text.codePoints().forEach(c -> {
            if (c == '\n') {
                b.append("\\n\n");
            } else if (c < 32) {
                b.append(String.format("^%c", c + 64));
            } else {
                b.appendCodePoint(c);
            }
        });
        return b.toString();
    }

    String screen() {
        return screen.toString(StandardCharsets.UTF_8);
    }

    /** Waits for the REPL to end by itself (after /exit or Ctrl-D). */
    void awaitEnd() throws Exception {
        done.get(WAIT.toSeconds(), TimeUnit.SECONDS);
    }

    boolean ended() {
        return done.isDone();
    }

    @Override
    public void close() throws IOException {
        if (!done.isDone()) {
            type("\u0004");
        }
        try {
            done.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        } catch (Exception e) {
            // The test has already failed or passed; the terminal is closed below either way.
        } finally {
            terminal.close();
        }
    }
}
