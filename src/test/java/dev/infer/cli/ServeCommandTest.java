package dev.infer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.infer.protocol.Json;
import dev.infer.testing.Await;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** {@code infer serve} on the built-in demo model, in process, on free ports. */
class ServeCommandTest {
    private static final Pattern LINE = Pattern.compile("(?m)^(controller|worker|api)\\s+(http://\\S+)");

    @Test
    void serve_starts_three_servers_on_the_demo_model_answers_and_stops_after_kill() throws Exception {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CompletableFuture<Integer> serve = CompletableFuture.supplyAsync(() -> Main.run(
                new PrintWriter(out, true), new PrintWriter(err, true),
                "serve", "--controller-port", "0", "--worker-port", "0", "--api-port", "0"));
        Await.until(Duration.ofSeconds(60), "serve to print its URLs", () -> {
            assertTrue(!serve.isDone(), () -> "serve ended: " + err);
            synchronized (out) {
                return out.toString().contains("Ctrl-C stops all three.");
            }
        });
        String printed = out.toString();
        Matcher m = LINE.matcher(printed);
        String controller = null;
        String api = null;
        while (m.find()) {
            if (m.group(1).equals("controller")) {
                controller = m.group(2);
            } else if (m.group(1).equals("api")) {
                api = m.group(2);
            }
        }
        assertTrue(controller != null && api != null, printed);
        assertTrue(printed.contains("infer chat"), printed);

        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<String> answer = http.send(HttpRequest.newBuilder(URI.create(api + "/chat/completions"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"infer-demo\",\"max_tokens\":8,"
                        + "\"temperature\":0,\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}]}"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, answer.statusCode(), answer.body());
        JsonNode body = Json.mapper().readTree(answer.body());
        int tokens = body.path("usage").path("completion_tokens").asInt();
        assertTrue(tokens >= 1 && tokens <= 8, answer.body());
        assertTrue(!body.path("choices").get(0).path("message").path("content").asText().isEmpty(), answer.body());

        MainTest.Run kill = MainTest.run("kill", "--all", "--controller", controller);
        assertEquals(0, kill.code(), kill.err());
        assertEquals(0, serve.get(30, TimeUnit.SECONDS), err::toString);
    }
}
