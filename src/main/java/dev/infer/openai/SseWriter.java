package dev.infer.openai;

import dev.infer.protocol.Json;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Writes OpenAI's flavour of Server-Sent Events: {@code data: <json>} and a blank line per event,
 * {@code data: [DONE]} at the end, each flushed at once. Javalin's own SSE support serves GET
 * endpoints and names every event; OpenAI streams answer a POST with bare {@code data:} lines,
 * which is all this does. Thread-safe: the choices of an {@code n > 1} stream write concurrently.
 */
final class SseWriter {
    private static final byte[] DATA = "data: ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] END = "\n\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] DONE = "data: [DONE]\n\n".getBytes(StandardCharsets.US_ASCII);

    private final OutputStream out;
    private boolean broken;

    SseWriter(OutputStream out) {
        this.out = out;
    }

    /**
     * Writes one event.
     *
     * @throws IOException when the client has gone; later writes then fail at once
     */
    void event(Object value) throws IOException {
        event(value, true);
    }

    /**
     * Writes one event, sending it at once when {@code flush} is true; otherwise it leaves with the
     * next flushed one (the role event and the first text of a chat stream travel together).
     */
    synchronized void event(Object value, boolean flush) throws IOException {
        if (broken) {
            throw new IOException("client gone");
        }
        try {
            out.write(DATA);
            out.write(Json.write(value).getBytes(StandardCharsets.UTF_8));
            out.write(END);
            if (flush) {
                out.flush();
            }
        } catch (IOException e) {
            broken = true;
            throw e;
        }
    }

    synchronized void done() throws IOException {
        if (broken) {
            throw new IOException("client gone");
        }
        out.write(DONE);
        out.flush();
    }
}
