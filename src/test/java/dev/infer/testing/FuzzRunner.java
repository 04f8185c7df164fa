package dev.infer.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;

/**
 * Sends {@link HostileInput} requests to one server, several at a time over one pooled client,
 * and collects every answer that breaks the rules: a 5xx, a stack trace in the body, or no answer
 * within the timeout. Also sends the few hostile requests a client library will not make
 * (declared-huge, chunked-oversized and slow-loris bodies) over raw sockets.
 */
public final class FuzzRunner {
    /** What a stack trace looks like in text: frames, "Caused by", or an exception class name. */
    private static final Pattern TRACE = Pattern.compile(
            "(\\tat |\\bat [\\w$.]+\\([\\w$]+\\.java:\\d+\\)|Caused by:|\\w+\\.\\w+Exception\\b"
                    + "|Exception in thread)");

    private final String baseUrl;
    private final Map<String, String> headers;
    private final Duration timeout;
    private final HttpClient http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
    private final List<String> violations = Collections.synchronizedList(new ArrayList<>());
    private final Map<String, AtomicInteger> statuses = new ConcurrentHashMap<>();

    public FuzzRunner(String baseUrl, Map<String, String> headers, Duration timeout) {
        this.baseUrl = baseUrl;
        this.headers = headers;
        this.timeout = timeout;
    }

    /** Sends requests {@code 0..count-1} of {@code input}, {@code parallel} at a time. */
    public void run(HostileInput input, int count, int parallel) throws InterruptedException {
        Semaphore slots = new Semaphore(parallel);
        List<CompletableFuture<?>> all = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            HostileInput.Request req = input.request(i);
            slots.acquire();
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(baseUrl + req.path()))
                    .timeout(timeout)
                    .POST(HttpRequest.BodyPublishers.ofByteArray(req.body()));
            b.header("Content-Type", "application/json");
            headers.forEach(b::header);
            int index = i;
            all.add(http.sendAsync(b.build(), HttpResponse.BodyHandlers.ofString())
                    .whenComplete((r, e) -> {
                        slots.release();
                        String where = "#" + index + " " + req.kind() + " " + req.path();
                        if (e != null) {
                            violations.add(where + ": no answer: " + e);
                        } else {
                            check(where, r.statusCode(), r.body());
                        }
                    }));
        }
        CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).exceptionally(e -> null)
                .join();
    }

    private void check(String where, int status, String body) {
        statuses.computeIfAbsent(status / 100 + "xx", k -> new AtomicInteger()).incrementAndGet();
        if (status >= 500) {
            violations.add(where + ": HTTP " + status + ": " + shorten(body));
        }
        if (TRACE.matcher(body).find()) {
            violations.add(where + ": stack trace in the answer: " + shorten(body));
        }
    }

    /**
     * A request declaring a body larger than the limit: must be refused (413) without the server
     * waiting for the body.
     */
    public void declaredHugeBody(String path, long declared) throws IOException {
        String head = "POST " + path + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                + "Content-Length: " + declared + "\r\nConnection: close\r\n" + extraHeaders()
                + "\r\n{";
        String answer = exchange(head.getBytes(StandardCharsets.US_ASCII), null, 0);
        expectStatus("declared-huge " + path, answer, 413);
    }

    /** A chunked body (no Content-Length) longer than {@code limit}: must be refused with 413. */
    public void chunkedOversizedBody(String path, long limit) throws IOException {
        String head = "POST " + path + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                + "Transfer-Encoding: chunked\r\nConnection: close\r\n" + extraHeaders() + "\r\n";
        String answer = exchange(head.getBytes(StandardCharsets.US_ASCII), null, limit + 65536);
        expectStatus("chunked-oversized " + path, answer, 413);
    }

    /**
     * A body sent a byte at a time, slower than the server's minimum rate: must end with a 4xx
     * (or a closed connection) within {@code deadline}, holding no thread for longer.
     */
    public void slowLorisBody(String path, Duration deadline) throws IOException {
        String head = "POST " + path + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                + "Content-Length: 100000\r\nConnection: close\r\n" + extraHeaders() + "\r\n";
        long started = System.nanoTime();
        String answer = exchange(head.getBytes(StandardCharsets.US_ASCII), deadline, 0);
        long ms = (System.nanoTime() - started) / 1_000_000;
        if (ms > deadline.toMillis()) {
            violations.add("slow-loris " + path + ": held for " + ms + " ms");
        }
        if (!answer.isEmpty()) {
            int status = status(answer);
            if (status >= 500 || status < 400) {
                violations.add("slow-loris " + path + ": answered " + shorten(answer));
            }
        }
        statuses.computeIfAbsent("slow-loris", k -> new AtomicInteger()).incrementAndGet();
    }

    private String extraHeaders() {
        StringBuilder b = new StringBuilder();
        headers.forEach((k, v) -> b.append(k).append(": ").append(v).append("\r\n"));
        return b.toString();
    }

    /**
     * Writes {@code head}, then either a trickle of bytes (slow loris, until the server answers or
     * {@code trickleFor} passes) or {@code chunked} bytes as chunks; returns what came back.
     */
    private String exchange(byte[] head, Duration trickleFor, long chunked) throws IOException {
        URI uri = URI.create(baseUrl);
        try (Socket s = new Socket(uri.getHost(), uri.getPort())) {
            s.setSoTimeout((int) timeout.toMillis());
            OutputStream out = s.getOutputStream();
            InputStream in = s.getInputStream();
            out.write(head);
            out.flush();
            try {
                if (trickleFor != null) {
                    long end = System.nanoTime() + trickleFor.toNanos();
                    while (System.nanoTime() < end && in.available() == 0) {
                        out.write('[');
                        out.flush();
                        // A slow client is the point of this case: it sends a byte now and then.
                        Thread.sleep(200);
                    }
                } else if (chunked > 0) {
                    byte[] chunk = new byte[65536];
                    java.util.Arrays.fill(chunk, (byte) ' ');
                    String size = Integer.toHexString(chunk.length) + "\r\n";
                    for (long sent = 0; sent < chunked; sent += chunk.length) {
                        out.write(size.getBytes(StandardCharsets.US_ASCII));
                        out.write(chunk);
                        out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
                    }
                    out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                }
            } catch (IOException | InterruptedException e) {
                // The server closed the connection on us: that is one acceptable way to refuse.
            }
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            try {
                in.transferTo(got);
            } catch (IOException e) {
                // Reset after the answer: keep what arrived.
            }
            return got.toString(StandardCharsets.UTF_8);
        }
    }

    private void expectStatus(String where, String answer, int expected) {
        int status = status(answer);
        statuses.computeIfAbsent(where.split(" ")[0], k -> new AtomicInteger()).incrementAndGet();
        if (status != expected) {
            violations.add(where + ": expected " + expected + ", got " + shorten(answer));
        }
        if (TRACE.matcher(answer).find()) {
            violations.add(where + ": stack trace in the answer: " + shorten(answer));
        }
    }

    private static int status(String answer) {
        if (!answer.startsWith("HTTP/1.1 ")) {
            return -1;
        }
        return Integer.parseInt(answer.substring(9, 12));
    }

    private static String shorten(String s) {
        String one = s.replace("\r", "").replace("\n", "\\n");
        return one.length() > 300 ? one.substring(0, 300) + "..." : one;
    }

    /** Every rule broken so far, the first twenty of them, or an empty list. */
    public List<String> violations() {
        synchronized (violations) {
            return List.copyOf(violations.subList(0, Math.min(20, violations.size())));
        }
    }

    public int violationCount() {
        return violations.size();
    }

    /** How many answers of each class ("2xx", "4xx", ...) came back. */
    public Map<String, Integer> statuses() {
        Map<String, Integer> out = new TreeMap<>();
        statuses.forEach((k, v) -> out.put(k, v.get()));
        return out;
    }

}
