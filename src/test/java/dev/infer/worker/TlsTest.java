package dev.infer.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.infer.client.ClientException;
import dev.infer.client.ControllerClient;
import dev.infer.client.JsonHttp;
import dev.infer.client.TlsTrust;
import dev.infer.controller.ControllerServer;
import dev.infer.openai.ApiConfig;
import dev.infer.openai.ApiServer;
import dev.infer.protocol.WorkerInfo;
import dev.infer.server.Tls;
import dev.infer.testing.Await;
import dev.infer.testing.SelfSignedCert;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A controller and a worker talking HTTPS with a self-signed certificate made in the test. */
class TlsTest {
    @TempDir Path dir;

    @Test
    void controller_and_worker_talk_https_and_an_untrusting_client_is_refused() throws Exception {
        SelfSignedCert cert = SelfSignedCert.create(dir);
        Tls.Server tls = new Tls.Server(cert.cert(), cert.key());
        HttpClient trusting = TlsTrust.client(cert.cert());
        ControllerServer controller = ControllerServer.config().port(0).tls(tls)
                .httpClient(trusting).healthCheckInterval(Duration.ZERO).token("t").start();
        ScriptedModel model = new ScriptedModel();
        WorkerServer worker = WorkerServer.start(model, WorkerOptions.builder()
                .port(0).controllerUrl(controller.baseUrl()).token("t").build(), tls, trusting);
        ApiServer api = ApiServer.start(new ApiConfig("127.0.0.1", 0, controller.baseUrl(), "t",
                List.of(), null, null, null), null, trusting);
        try {
            assertTrue(controller.baseUrl().startsWith("https://"), controller.baseUrl());
            assertTrue(worker.address().startsWith("https://"), worker.address());
            ControllerClient client = new ControllerClient(controller.baseUrl(),
                    new JsonHttp(trusting, "t"), Duration.ofSeconds(10));
            Await.until(Duration.ofSeconds(20), "the worker registered over https",
                    () -> client.listWorkers().workers().size() == 1);
            WorkerInfo w = client.listWorkers().workers().get(0);
            assertEquals(worker.address(), w.workerName());
            // The controller calls the worker back over https for its health check.
            controller.checkHealthNow();
            assertEquals("healthy", client.listWorkers().workers().get(0).state());

            // The API streams from the worker over https with its own blocking client, which
            // must trust the same authority and send the cluster token.
            model.release(3);
            HttpResponse<String> answer = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create(api.baseUrl() + "/v1/chat/completions"))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"model\": \"scripted\", "
                            + "\"max_tokens\": 3, \"stream\": true, \"messages\": "
                            + "[{\"role\": \"user\", \"content\": \"hi\"}]}"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, answer.statusCode(), answer.body());
            StringBuilder text = new StringBuilder();
            Matcher content = Pattern.compile("\"content\":\"([^\"]*)\"").matcher(answer.body());
            while (content.find()) {
                text.append(content.group(1));
            }
            assertEquals("w0 w1 w2", text.toString(), answer.body());
            assertTrue(answer.body().endsWith("data: [DONE]\n\n"), answer.body());

            ControllerClient untrusting = new ControllerClient(controller.baseUrl(), "t");
            ClientException e = assertThrows(ClientException.class, untrusting::listModels);
            assertTrue(e.getMessage().toLowerCase().contains("certif")
                    || e.getMessage().toLowerCase().contains("handshake")
                    || e.getMessage().toLowerCase().contains("pkix"), e.getMessage());
        } finally {
            api.close();
            worker.close();
            controller.close();
        }
    }

    @Test
    void a_key_file_that_is_not_pkcs8_pem_is_refused_with_a_reason() throws Exception {
        SelfSignedCert cert = SelfSignedCert.create(dir);
        Path bad = dir.resolve("bad.pem");
        Files.writeString(bad, "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Tls.Server(cert.cert(), bad).keyStore());
        assertTrue(e.getMessage().contains("PKCS#8"), e.getMessage());
    }
}
