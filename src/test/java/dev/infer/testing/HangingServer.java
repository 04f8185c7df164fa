package dev.infer.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A raw loopback socket server that plays a hung worker: it accepts connections and never
 * answers, until {@link #answer(String)} makes it answer every later request with one JSON body
 * (as a recovered worker's {@code /worker_get_status} would). Counts the connections it accepted.
 */
public final class HangingServer implements AutoCloseable {
    private final ServerSocket socket;
    private final List<Socket> held = new CopyOnWriteArrayList<>();
    private final AtomicInteger accepted = new AtomicInteger();
    private volatile String answer;
    private final Thread acceptor;

    public HangingServer() throws IOException {
        socket = new ServerSocket(0, 200, InetAddress.getLoopbackAddress());
        acceptor = new Thread(this::acceptLoop, "hanging-server");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    public String address() {
        return "http://127.0.0.1:" + socket.getLocalPort();
    }

    public int accepted() {
        return accepted.get();
    }

    /** From now on, answer each request with 200 and {@code json}, then close. */
    public void answer(String json) {
        answer = json;
    }

    private void acceptLoop() {
        while (!socket.isClosed()) {
            Socket s;
            try {
                s = socket.accept();
            } catch (IOException e) {
                return;
            }
            accepted.incrementAndGet();
            String body = answer;
            if (body == null) {
                held.add(s);
                continue;
            }
            Thread t = new Thread(() -> respond(s, body), "hanging-server-answer");
            t.setDaemon(true);
            t.start();
        }
    }

    private static void respond(Socket s, String body) {
        try (s) {
            InputStream in = s.getInputStream();
            // Read the head and a body of Content-Length bytes (a status request has none).
            StringBuilder head = new StringBuilder();
            while (!head.toString().endsWith("\r\n\r\n")) {
                int b = in.read();
                if (b < 0) {
                    return;
                }
                head.append((char) b);
            }
            for (String line : head.toString().split("\r\n")) {
                if (line.toLowerCase().startsWith("content-length:")) {
                    in.readNBytes(Integer.parseInt(line.substring(15).trim()));
                }
            }
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            OutputStream out = s.getOutputStream();
            out.write(("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                    + bytes.length + "\r\nConnection: close\r\n\r\n").getBytes(
                            StandardCharsets.US_ASCII));
            out.write(bytes);
            out.flush();
        } catch (IOException | RuntimeException e) {
            // The caller gave up; nothing to answer.
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
        for (Socket s : held) {
            s.close();
        }
    }
}
