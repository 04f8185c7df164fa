package dev.infer.controller;

import dev.infer.testing.MutableClock;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.SplittableRandom;

/** A controller on a free loopback port with a test clock, and raw HTTP calls to it. */
final class ControllerHarness implements AutoCloseable {
    final MutableClock clock = new MutableClock();
    final ControllerServer server;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    ControllerHarness(String token, DispatchPolicy policy) {
        server = ControllerServer.config().port(0).token(token).policy(policy).clock(clock)
                .random(new SplittableRandom(5)).workerTimeout(Duration.ofSeconds(10)).start();
    }

    ControllerHarness() {
        this(null, new DispatchPolicy.ShortestQueue());
    }

    HttpResponse<String> post(String path, String body) throws Exception {
        return post(path, body, null);
    }

    /** POSTs {@code body} as-is (null sends none) with an optional Authorization header. */
    HttpResponse<String> post(String path, String body, String auth) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(server.baseUrl() + path))
                .timeout(Duration.ofSeconds(20))
                .POST(body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            b.header("Content-Type", "application/json");
        }
        if (auth != null) {
            b.header("Authorization", auth);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(server.baseUrl() + path))
                .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpClient http() {
        return http;
    }

    @Override
    public void close() {
        server.close();
    }
}
