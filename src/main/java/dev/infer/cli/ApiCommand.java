package dev.infer.cli;

import dev.infer.client.ControllerClient;
import dev.infer.openai.ApiConfig;
import dev.infer.openai.ApiServer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code infer api}: the OpenAI-compatible API server in front of a controller. */
@Command(
        name = "api",
        mixinStandardHelpOptions = true,
        description = {
            "Start the OpenAI-compatible API server in front of a controller.",
            "Endpoints: GET /v1/models, POST /v1/chat/completions, POST /v1/completions, "
                    + "POST /v1/embeddings, GET /health, GET /metrics."
        })
public final class ApiCommand implements Callable<Integer> {
    @Mixin VerboseMixin verboseMixin;

    @Option(names = "--host", defaultValue = "127.0.0.1",
            description = "Address to bind (default: ${DEFAULT-VALUE}).")
    String host;

    @Option(names = "--port", defaultValue = "8000",
            description = "Port to listen on (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--controller", paramLabel = "URL",
            defaultValue = "${env:INFER_CONTROLLER:-" + ControllerClient.DEFAULT_URL + "}",
            description = "Controller URL (default: INFER_CONTROLLER, else "
                    + ControllerClient.DEFAULT_URL + ").")
    String controller;

    @Option(names = "--api-key", paramLabel = "KEY", split = ",",
            defaultValue = "${env:INFER_API_KEY}",
            description = "A key clients must send as 'Authorization: Bearer KEY'; repeat for "
                    + "several "
                    + "(default: INFER_API_KEY, comma-separated). Without one, /v1 is open.")
    List<String> apiKeys;

    @Option(names = "--token", paramLabel = "TOKEN", defaultValue = "${env:INFER_TOKEN}",
            description = "The cluster's shared token, sent to the controller and workers "
                    + "(default: INFER_TOKEN).")
    String token;

    @Option(names = "--first-token-timeout", paramLabel = "SECONDS", defaultValue = "120",
            description = "Longest wait for a worker's first token (default: ${DEFAULT-VALUE}).")
    double firstTokenTimeout;

    @Option(names = "--idle-timeout", paramLabel = "SECONDS", defaultValue = "60",
            description = "Longest silence between two tokens of a stream "
                    + "(default: ${DEFAULT-VALUE}).")
    double idleTimeout;

    @Option(names = "--cache-ttl", paramLabel = "SECONDS", defaultValue = "1",
            description = "How long model lists and worker addresses are reused; 0 asks the "
                    + "controller "
                    + "on every request (default: ${DEFAULT-VALUE}).")
    double cacheTtl;

    @Mixin TlsMixin tls;

    @Override
    public Integer call() throws InterruptedException {
        if (port < 0 || port > 65535) {
            throw CliException.usage("--port must be between 0 and 65535, got " + port);
        }
        if (!(firstTokenTimeout > 0) || !(idleTimeout > 0) || !(cacheTtl >= 0)) {
            throw CliException.usage(
                    "--first-token-timeout and --idle-timeout must be positive, "
                            + "--cache-ttl not negative");
        }
        ApiConfig config = new ApiConfig(host, port, controller, token, apiKeys,
                seconds(firstTokenTimeout),
                seconds(idleTimeout), seconds(cacheTtl));
        var serverTls = tls.server();
        var client = tls.client();
        ApiServer server;
        try {
            server = ApiServer.start(config, serverTls, client);
        } catch (RuntimeException e) {
            throw CliException.failure("cannot listen on " + host + ":" + port + ": "
                    + ControllerCommand.bindCause(e), e);
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            stopped.countDown();
        }, "api-shutdown"));
        stopped.await();
        return ExitCodes.OK;
    }

    private static Duration seconds(double s) {
        return Duration.ofNanos((long) (s * 1e9));
    }
}
