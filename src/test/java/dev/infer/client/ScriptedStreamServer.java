package dev.infer.client;

import static java.nio.charset.StandardCharsets.UTF_8;
import static java.util.concurrent.TimeUnit.SECONDS;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.infer.protocol.GenerateChunk;
import dev.infer.protocol.Json;
import dev.infer.protocol.Usage;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * A fake worker's {@code /worker_generate_stream} on 127.0.0.1, port 0 (the JDK's HTTP server):
 * each request reads its body and plays the next {@link Script} added, which writes frames with
 * the static helpers here (a chunked body, one HTTP chunk per {@link #write}) and waits on
 * latches for its silent periods. It records the client port of each request, so that a test can
 * tell whether two requests came on the same connection.
 */
final class ScriptedStreamServer implements AutoCloseable {
    static final String KEEP_ALIVE = "\0";

    /** What the server does with one request, after reading its body. */
    interface Script {
        void play(HttpExchange exchange) throws Exception;
    }

    private final BlockingQueue<Script> scripts = new LinkedBlockingQueue<>();
    private final List<Integer> ports = new CopyOnWriteArrayList<>();
    private final List<String> bodies = new CopyOnWriteArrayList<>();
    private final ExecutorService handlers = Executors.newCachedThreadPool();
    private final HttpServer server;

    ScriptedStreamServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(handlers);
        server.createContext("/worker_generate_stream", this::handle);
        server.start();
    }

    String address() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** Plays {@code script} for the next request that has none yet. */
    void add(Script script) {
        scripts.add(script);
    }

    /** The client port of each request so far, in order: the same port, the same connection. */
    List<Integer> ports() {
        return ports;
    }

    /** The body of each request so far, in order. */
    List<String> bodies() {
        return bodies;
    }

    private void handle(HttpExchange exchange) {
        ports.add(exchange.getRemoteAddress().getPort());
        try (exchange) {
            bodies.add(new String(exchange.getRequestBody().readAllBytes(), UTF_8));
            Script script = scripts.poll(5, SECONDS);
            if (script == null) {
                exchange.sendResponseHeaders(500, -1);
                return;
            }
            script.play(exchange);
        } catch (Exception e) {
            // The client went away or the test ended; the script recorded what it needed.
        }
    }

    /** Closes every connection, which ends the scripts still writing. */
    @Override
    public void close() {
        server.stop(0);
        handlers.shutdownNow();
    }

    static String frame(GenerateChunk chunk) {
        return Json.write(chunk) + "\0";
    }

    static String chunk(String text) {
        return frame(new GenerateChunk(text, 0, Usage.of(1, text.length()), null));
    }

    static String finish(String text) {
        return frame(new GenerateChunk(text, 0, Usage.of(1, text.length()), "stop"));
    }

    /** Sends 200 with a chunked body. */
    static void begin(HttpExchange exchange) throws IOException {
        exchange.sendResponseHeaders(200, 0);
    }

    /** Writes {@code frames} as one HTTP chunk, sent at once. */
    static void write(HttpExchange exchange, String... frames) throws IOException {
        OutputStream out = exchange.getResponseBody();
        out.write(String.join("", frames).getBytes(UTF_8));
        out.flush();
    }

    /**
     * Writes {@code frames} unflushed, so that they go out together with the end of the body
     * when the script returns: the client then needs no wait to see that end.
     */
    static void end(HttpExchange exchange, String... frames) throws IOException {
        exchange.getResponseBody().write(String.join("", frames).getBytes(UTF_8));
    }

    /** Waits for the test to release {@code latch}; fails after five seconds. */
    static void await(CountDownLatch latch) throws InterruptedException {
        if (!latch.await(5, SECONDS)) {
            throw new IllegalStateException("the test never released the server");
        }
    }

    /**
     * Writes keep-alive frames until the connection turns out to be gone, for at most two
     * seconds; returns the write's failure, or null when every write went through.
     */
    static IOException writeUntilGone(HttpExchange exchange) {
        long end = System.nanoTime() + SECONDS.toNanos(2);
        OutputStream out = exchange.getResponseBody();
        while (System.nanoTime() - end < 0) {
            try {
                out.write(0);
                out.flush();
            } catch (IOException e) {
                return e;
            }
        }
        return null;
    }
}
