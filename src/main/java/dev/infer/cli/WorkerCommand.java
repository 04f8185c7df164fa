package dev.infer.cli;

import dev.infer.client.ControllerClient;
import dev.infer.engine.EngineException;
import dev.infer.engine.LoadedModel;
import dev.infer.engine.ModelOptions;
import dev.infer.engine.Models;
import dev.infer.worker.WorkerOptions;
import dev.infer.worker.WorkerServer;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code infer worker --model-path DIR}: loads one model and serves it until stopped by SIGTERM,
 * Ctrl-C or {@code infer kill}. Either way it drains in-flight requests (up to
 * {@code --drain-timeout}), stops heart-beating, closes the model and exits 0.
 */
@Command(name = "worker", mixinStandardHelpOptions = true,
        description = "Serve one model folder with ONNX Runtime and register it with a controller.")
public final class WorkerCommand implements Callable<Integer> {
    private static final Logger log = LoggerFactory.getLogger(WorkerCommand.class);

    @Mixin VerboseMixin verbose;

    @Option(names = "--model-path", required = true, paramLabel = "DIR",
            description = "Model folder: model.onnx (or onnx/model.onnx), tokenizer.json, configs.")
    Path modelPath;

    @Option(names = "--model-name", paramLabel = "NAME",
            description = "Name to serve the model under (default: the folder's name).")
    String modelName;

    @Option(names = "--host", defaultValue = "127.0.0.1", paramLabel = "HOST",
            description = "Address to bind (default: ${DEFAULT-VALUE}).")
    String host;

    @Option(names = "--port", defaultValue = "21002", paramLabel = "PORT",
            description = "Port to bind; 0 picks a free one (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--worker-address", paramLabel = "URL",
            description = "URL the controller and clients reach this worker at"
                    + " (default: the host and port actually bound).")
    String workerAddress;

    @Option(names = "--controller", paramLabel = "URL",
            defaultValue = "${env:INFER_CONTROLLER:-" + ControllerClient.DEFAULT_URL + "}",
            description = "Controller to register with (default: $INFER_CONTROLLER, else "
                    + ControllerClient.DEFAULT_URL + ").")
    String controller;

    @Option(names = "--limit-concurrency", paramLabel = "N",
            description = "Most generations running at once (default: --max-batch-size, at least "
                    + WorkerOptions.DEFAULT_LIMIT_CONCURRENCY + ").")
    Integer limitConcurrency;

    @Option(names = "--max-batch-size", defaultValue = "" + ModelOptions.DEFAULT_MAX_BATCH_SIZE,
            paramLabel = "N",
            description = "Most sequences decoded together in one forward pass; 1 turns batching"
                    + " off (default: ${DEFAULT-VALUE}).")
    int maxBatchSize;

    @Option(names = "--max-batch-tokens", defaultValue = "" + ModelOptions.DEFAULT_MAX_BATCH_TOKENS,
            paramLabel = "N",
            description = "Most prompt tokens prefilled together in one step; a longer prompt is"
                    + " prefilled alone (default: ${DEFAULT-VALUE}).")
    int maxBatchTokens;

    @Option(
            names = "--max-queue",
            defaultValue = "64",
            paramLabel = "N",
            description =
                    "Most requests waiting for a slot; beyond that, error 42903"
                            + " (default: ${DEFAULT-VALUE}).")
    int maxQueue;

    @Option(
            names = "--heartbeat-interval",
            defaultValue = "45",
            paramLabel = "SECONDS",
            description =
                    "Seconds between heartbeats to the controller (default: ${DEFAULT-VALUE}).")
    double heartbeatInterval;

    @Option(names = "--frame-interval", paramLabel = "MS",
            defaultValue = "" + WorkerOptions.DEFAULT_FRAME_INTERVAL_MS,
            description = "Least milliseconds between two progress frames of a stream; text"
                    + " generated sooner goes in the next frame, the first text and the end at"
                    + " once; 0 sends every token (default: ${DEFAULT-VALUE}).")
    int frameInterval;

    @Option(names = "--no-register", description = "Do not register with a controller.")
    boolean noRegister;

    @Option(names = "--threads", defaultValue = "0", paramLabel = "N",
            description = "ONNX Runtime intra-op threads; 0 lets ONNX Runtime choose (default).")
    int threads;

    @Option(
            names = "--token",
            defaultValue = "${env:INFER_TOKEN}",
            paramLabel = "SECRET",
            description =
                    "Bearer token required on this worker's endpoints and sent to the controller"
                            + " (default: $INFER_TOKEN).")
    String token;

    @Option(
            names = "--drain-timeout",
            defaultValue = "30",
            paramLabel = "SECONDS",
            description =
                    "On shutdown, how long in-flight requests may run before they are cancelled"
                            + " (default: ${DEFAULT-VALUE}).")
    double drainTimeout;

    @Mixin TlsMixin tls;

    @Override
    public Integer call() throws InterruptedException {
        WorkerOptions options = options();
        var serverTls = tls.server();
        var client = tls.client();
        if (!Files.isDirectory(modelPath)) {
            throw CliException.failure("--model-path " + modelPath + ": no such folder");
        }
        LoadedModel model;
        try {
            model = Models.load(modelPath, new ModelOptions(modelName, threads, maxBatchSize,
                    maxBatchTokens));
        } catch (EngineException e) {
            String why = e.getMessage();
            throw CliException.failure(
                    why.contains(modelPath.toString())
                            ? "cannot load model: " + why
                            : "--model-path " + modelPath + ": " + why,
                    e);
        }
        WorkerServer server;
        try {
            server = WorkerServer.start(model, options, serverTls, client);
        } catch (RuntimeException e) {
            throw CliException.failure("cannot listen on " + host + ":" + port + ": "
                    + (e.getCause() != null ? e.getCause().getMessage() : e.getMessage()), e);
        }
        Duration drain = options.drainTimeout();
        Thread hook = new Thread(() -> onSignal(server, drain), "worker-signal");
        Runtime.getRuntime().addShutdownHook(hook);
        log.info("worker serving {} at {}", model.info().name(), server.address());
        try {
            server.terminated().get();
        } catch (ExecutionException e) {
            throw CliException.failure(
                    "worker did not stop cleanly: " + e.getCause().getMessage(), e);
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException e) {
                // The JVM is already exiting: the hook is running and will finish the job.
            }
        }
        return ExitCodes.OK;
    }

    /**
     * SIGTERM or Ctrl-C: the JVM runs shutdown hooks. Drain, close the model, and end with status
     * 0 (a plain hook would leave the JVM's 143 or 130) since stopping on request is a success.
     */
    private static void onSignal(WorkerServer server, Duration drain) {
        if (server.terminated().isDone()) {
            return;
        }
        log.info("signal received: shutting down");
        server.shutdown(drain).join();
        Runtime.getRuntime().halt(ExitCodes.OK);
    }

    private WorkerOptions options() {
        if (maxBatchSize < 1) {
            throw CliException.usage("--max-batch-size must be at least 1, got " + maxBatchSize);
        }
        if (maxBatchTokens < 1) {
            throw CliException.usage("--max-batch-tokens must be at least 1, got "
                    + maxBatchTokens);
        }
        int limit = limitConcurrency != null ? limitConcurrency
                : Math.max(WorkerOptions.DEFAULT_LIMIT_CONCURRENCY, maxBatchSize);
        if (limit < 1) {
            throw CliException.usage("--limit-concurrency must be at least 1, got " + limit);
        }
        if (limit < maxBatchSize) {
            log.warn("--limit-concurrency {} is below --max-batch-size {}: batches will hold at"
                    + " most {} sequences", limit, maxBatchSize, limit);
        }
        if (maxQueue < 0) {
            throw CliException.usage("--max-queue must not be negative, got " + maxQueue);
        }
        if (!(heartbeatInterval > 0) || Double.isInfinite(heartbeatInterval)) {
            throw CliException.usage("--heartbeat-interval must be a number of seconds > 0, got "
                    + heartbeatInterval);
        }
        if (!(drainTimeout >= 0) || Double.isInfinite(drainTimeout)) {
            throw CliException.usage(
                    "--drain-timeout must be a number of seconds >= 0, got " + drainTimeout);
        }
        if (threads < 0) {
            throw CliException.usage("--threads must not be negative, got " + threads);
        }
        if (frameInterval < 0 || frameInterval > WorkerOptions.MAX_FRAME_INTERVAL_MS) {
            throw CliException.usage("--frame-interval must be in 0.."
                    + WorkerOptions.MAX_FRAME_INTERVAL_MS + " ms, got " + frameInterval);
        }
        if (port < 0 || port > 65535) {
            throw CliException.usage("--port must be in 0..65535, got " + port);
        }
        checkUrl("--controller", controller);
        if (workerAddress != null) {
            checkUrl("--worker-address", workerAddress);
        } else if (!noRegister && (host.equals("0.0.0.0") || host.equals("::"))) {
            log.warn("--host {} with no --worker-address: registering as 127.0.0.1, which only"
                    + " this machine can reach", host);
        }
        return WorkerOptions.builder()
                .host(host)
                .port(port)
                .workerAddress(workerAddress)
                .controllerUrl(controller)
                .token(token)
                .limitConcurrency(limit)
                .maxQueue(maxQueue)
                .register(!noRegister)
                .heartbeatInterval(seconds(heartbeatInterval))
                .drainTimeout(seconds(drainTimeout))
                .frameInterval(Duration.ofMillis(frameInterval))
                .build();
    }

    private static void checkUrl(String flag, String value) {
        try {
            URI uri = new URI(value);
            if (("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))
                    && uri.getHost() != null) {
                return;
            }
        } catch (URISyntaxException e) {
            // Reported below.
        }
        throw CliException.usage(
                flag + " must be an http:// or https:// URL with a host, got '" + value + "'");
    }

    private static Duration seconds(double s) {
        return Duration.ofNanos(Math.round(s * 1e9));
    }
}
