package dev.infer.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.infer.server.HttpServer;
import dev.infer.testing.HangingServer;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Register cannot be turned against other hosts, and --token guards every endpoint. */
class ControllerSecurityTest {
    private static String register(String name) {
        return "{\"worker_name\":\"" + name + "\",\"check_heart_beat\":true}";
    }

    @Test
    void register_refuses_addresses_that_are_not_plain_worker_base_urls() throws Exception {
        try (ControllerHarness c = new ControllerHarness(); HangingServer target = new HangingServer()) {
            String port = target.address().substring(target.address().lastIndexOf(':') + 1);
            for (String name : List.of("file:///etc/passwd", "gopher://127.0.0.1:" + port,
                    "http://127.0.0.1:" + port + "/latest/meta-data",
                    "http://127.0.0.1:" + port + "?x=1", "http://127.0.0.1:" + port + "#f",
                    "http://u:p@127.0.0.1:" + port, "http://169.254.169.254",
                    "http://169.254.169.254:80", "http://[fd00:ec2::254]", "http://[fe80::1]:80",
                    "http:/127.0.0.1", "//127.0.0.1:" + port)) {
                HttpResponse<String> r = c.post("/register_worker", register(name));
                assertEquals(400, r.statusCode(), name + " -> " + r.body());
                assertTrue(r.body().contains("40001"), r.body());
            }
            assertEquals(0, target.accepted(), "the controller must not connect to refused names");
            assertEquals(0, c.server.registry().size());
        }
    }

    @Test
    void link_local_workers_are_accepted_only_when_allowed() throws Exception {
        String status = ",\"worker_status\":{\"model_names\":[\"m\"],\"speed\":1,\"queue_length\":0}}";
        ControllerServer allowing = ControllerServer.config().port(0).allowLinkLocal(true)
                .healthCheckInterval(Duration.ZERO).start();
        try (ControllerHarness refusing = new ControllerHarness()) {
            String body = "{\"worker_name\":\"http://169.254.10.10:21002\",\"check_heart_beat\":true"
                    + status;
            assertEquals(400, refusing.post("/register_worker", body).statusCode());
            var http = java.net.http.HttpClient.newHttpClient();
            var r = http.send(java.net.http.HttpRequest.newBuilder(
                    java.net.URI.create(allowing.baseUrl() + "/register_worker"))
                    .POST(java.net.http.HttpRequest.BodyPublishers.ofString(body)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode(), r.body());
        } finally {
            allowing.close();
        }
    }

    @Test
    void a_status_answer_that_is_huge_or_a_redirect_is_refused_without_following_it()
            throws Exception {
        AtomicInteger redirectedTo = new AtomicInteger();
        try (ControllerHarness c = new ControllerHarness();
                HttpServer elsewhere = HttpServer.builder("elsewhere").port(0).routes(app ->
                        app.post("/worker_get_status", ctx -> redirectedTo.incrementAndGet()))
                        .start();
                HttpServer hostile = HttpServer.builder("hostile").port(0).routes(app -> {
                    app.post("/worker_get_status", ctx -> ctx.redirect(elsewhere.baseUrl()
                            + "/worker_get_status", io.javalin.http.HttpStatus.TEMPORARY_REDIRECT));
                }).start();
                HttpServer huge = HttpServer.builder("huge").port(0).routes(app ->
                        app.post("/worker_get_status", ctx -> ctx.contentType("application/json")
                                .result("{\"model_names\":[\"" + "m".repeat(1 << 20)
                                        + "\"],\"speed\":1,\"queue_length\":0}"))).start()) {
            HttpResponse<String> r = c.post("/register_worker", register(hostile.baseUrl()));
            assertTrue(r.statusCode() >= 400, r.body());
            r = c.post("/register_worker", register(huge.baseUrl()));
            assertTrue(r.statusCode() >= 400 && r.body().contains("larger than"), r.body());
            assertEquals(0, redirectedTo.get(), "a redirect must not be followed");
            assertEquals(0, c.server.registry().size());
        }
    }

    @Test
    void with_a_token_every_worker_and_client_endpoint_refuses_callers_without_it()
            throws Exception {
        try (ControllerHarness c = new ControllerHarness("s3cret", new DispatchPolicy.Lottery())) {
            String status = ",\"worker_status\":{\"model_names\":[\"m\"],\"speed\":1,"
                    + "\"queue_length\":0}}";
            String reg = "{\"worker_name\":\"http://127.0.0.1:9\",\"check_heart_beat\":true" + status;
            List<String[]> calls = List.of(
                    new String[] {"/register_worker", reg},
                    new String[] {"/receive_heart_beat",
                        "{\"worker_name\":\"http://127.0.0.1:9\",\"queue_length\":0}"},
                    new String[] {"/kill_worker", "{\"all\":true}"},
                    new String[] {"/worker_generate_stream", "{\"model\":\"m\",\"prompt\":\"x\"}"},
                    new String[] {"/get_worker_address", "{\"model\":\"m\"}"},
                    new String[] {"/list_workers", "{}"},
                    new String[] {"/refresh_all_workers", "{}"});
            for (String[] call : calls) {
                HttpResponse<String> none = c.post(call[0], call[1]);
                assertEquals(401, none.statusCode(), call[0] + " " + none.body());
                HttpResponse<String> wrong = c.post(call[0], call[1], "Bearer s3cres");
                assertEquals(401, wrong.statusCode(), call[0] + " " + wrong.body());
                HttpResponse<String> basic = c.post(call[0], call[1], "Basic s3cret");
                assertEquals(401, basic.statusCode(), call[0] + " " + basic.body());
            }
            assertEquals(0, c.server.registry().size());
            assertEquals(200, c.post("/register_worker", reg, "Bearer s3cret").statusCode());
            assertEquals(1, c.server.registry().size());
            assertEquals(200, c.get("/health").statusCode());
        }
    }
}
