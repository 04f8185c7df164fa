package dev.infer.cli;

import dev.infer.controller.ControllerServer;
import dev.infer.engine.DemoModel;
import dev.infer.engine.EngineException;
import dev.infer.engine.LoadedModel;
import dev.infer.engine.ModelOptions;
import dev.infer.engine.Models;
import dev.infer.openai.ApiConfig;
import dev.infer.openai.ApiServer;
import dev.infer.worker.WorkerOptions;
import dev.infer.worker.WorkerServer;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code infer serve}: a controller, one worker and the OpenAI API in one process, on the demo
 * model unless {@code --model-path} names another. The three are the same servers the separate
 * commands start, wired over loopback HTTP exactly as a cluster is, so what works here works
 * across machines.
 */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = {"Start a controller, one worker and the OpenAI-compatible API in one process.",
            "With no --model-path it serves the demo model built into the jar."})
public final class ServeCommand implements Callable<Integer> {
    private static final Logger log = LoggerFactory.getLogger(ServeCommand.class);

    /** How long to wait for the worker's first registration before telling the user to try it. */
    private static final Duration REGISTER_WAIT = Duration.ofSeconds(10);

    @Mixin VerboseMixin verbose;

    @Mixin TlsMixin tls;
    @Spec CommandSpec spec;

    @Option(names = "--model-path", paramLabel = "DIR",
            description = "Model folder to serve (default: the built-in demo model).")
    Path modelPath;

    @Option(names = "--model-name", paramLabel = "NAME",
            description = "Name to serve the model under (default: the folder's name).")
    String modelName;

    @Option(names = "--host", defaultValue = "127.0.0.1", paramLabel = "HOST",
            description = "Address all three servers bind (default: ${DEFAULT-VALUE}).")
    String host;

    @Option(names = "--controller-port", defaultValue = "21001", paramLabel = "PORT",
            description = "Controller port (default: ${DEFAULT-VALUE}).")
    int controllerPort;

    @Option(names = "--worker-port", defaultValue = "21002", paramLabel = "PORT",
            description = "Worker port (default: ${DEFAULT-VALUE}).")
    int workerPort;

    @Option(names = "--api-port", defaultValue = "8000", paramLabel = "PORT",
            description = "OpenAI API port (default: ${DEFAULT-VALUE}).")
    int apiPort;

    @Option(names = "--token", defaultValue = "${env:INFER_TOKEN}", paramLabel = "SECRET",
            description = "Shared secret the controller and worker require, so other workers must "
                    + "present it to join (default: $INFER_TOKEN; off when unset).")
    String token;

    @Option(names = "--api-key", paramLabel = "KEY", split = ",",
            defaultValue = "${env:INFER_API_KEY}",
            description = "A key API clients must send as 'Authorization: Bearer KEY'; repeatable "
                    + "(default: $INFER_API_KEY, comma-separated; open when unset).")
    List<String> apiKeys;

    @Option(names = "--limit-concurrency", paramLabel = "N",
            description = "Most generations running at once (default: --max-batch-size, at least "
                    + WorkerOptions.DEFAULT_LIMIT_CONCURRENCY + ").")
    Integer limitConcurrency;

    @Option(names = "--max-batch-size", defaultValue = "" + ModelOptions.DEFAULT_MAX_BATCH_SIZE,
            paramLabel = "N", description = "Most sequences decoded together in one step; 1 turns "
                    + "batching off (default: ${DEFAULT-VALUE}).")
    int maxBatchSize;

    @Option(names = "--threads", defaultValue = "0", paramLabel = "N",
            description = "ONNX Runtime intra-op threads; 0 lets ONNX Runtime choose (default).")
    int threads;

    @Override
    public Integer call() throws InterruptedException {
        for (int port : new int[] {controllerPort, workerPort, apiPort}) {
            if (port < 0 || port > 65535) {
                throw CliException.usage("ports must be in 0..65535, got " + port);
            }
        }
        if (maxBatchSize < 1) {
            throw CliException.usage("--max-batch-size must be at least 1, got " + maxBatchSize);
        }
        if (limitConcurrency == null) {
            limitConcurrency = Math.max(WorkerOptions.DEFAULT_LIMIT_CONCURRENCY, maxBatchSize);
        }
        if (limitConcurrency < 1) {
            throw CliException.usage("--limit-concurrency must be at least 1, got " + limitConcurrency);
        }
        if (threads < 0) {
            throw CliException.usage("--threads must not be negative, got " + threads);
        }
        LoadedModel model = loadModel();
        Servers servers = new Servers();
        try {
            servers.start(model);
        } catch (RuntimeException e) {
            servers.close(Duration.ZERO);
            model.close();
            throw e;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            log.info("signal received: stopping api, worker and controller");
            servers.close(Duration.ofSeconds(30));
            stopped.countDown();
            Runtime.getRuntime().halt(ExitCodes.OK);
        }, "serve-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        announce(servers, model.info().name());
        // The worker can also end by itself (infer kill): then the process ends too.
        servers.worker.terminated().whenComplete((ok, e) -> stopped.countDown());
        stopped.await();
        servers.close(Duration.ZERO);
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // The JVM is already exiting: the hook is running and finishes the job.
        }
        return ExitCodes.OK;
    }

    private LoadedModel loadModel() {
        Path dir = modelPath;
        if (dir == null) {
            try {
                dir = DemoModel.path();
            } catch (EngineException e) {
                throw CliException.failure("cannot unpack the built-in demo model: " + e.getMessage(), e);
            }
        } else if (!Files.isDirectory(dir)) {
            throw CliException.failure("--model-path " + dir + ": no such folder");
        }
        try {
            return Models.load(dir, new ModelOptions(modelName, threads, maxBatchSize,
                    ModelOptions.DEFAULT_MAX_BATCH_TOKENS));
        } catch (EngineException e) {
            throw CliException.failure("--model-path " + dir + ": " + e.getMessage(), e);
        }
    }

    /** Tells the user where everything is and what to try next, on stdout. */
    private void announce(Servers s, String model) {
        PrintWriter out = spec.commandLine().getOut();
        String api = s.api.baseUrl();
        out.printf("controller  %s%n", s.controller.baseUrl());
        out.printf("worker      %s  (model %s)%n", s.worker.address(), model);
        out.printf("api         %s/v1%n", api);
        out.println();
        out.printf("Try:  dist/infer chat%n");
        out.printf("      curl -s %s/v1/chat/completions -H 'Content-Type: application/json' \\%n", api);
        out.printf("        -d '{\"model\": \"%s\", \"messages\": [{\"role\": \"user\", "
                + "\"content\": \"Tell me a story\"}]}'%n", model);
        out.println("Ctrl-C stops all three.");
        out.flush();
    }

    /** The three servers, started in dependency order and stopped in reverse. */
    private final class Servers {
        private final java.util.concurrent.atomic.AtomicBoolean closed =
                new java.util.concurrent.atomic.AtomicBoolean();
        ControllerServer controller;
        WorkerServer worker;
        ApiServer api;

        void start(LoadedModel model) {
            dev.infer.server.Tls.Server serverTls = tls.server();
            // The three call each other: without --tls-ca they trust their own certificate.
            java.net.http.HttpClient client = tls.ca == null && serverTls != null
                    ? dev.infer.client.TlsTrust.client(serverTls.cert()) : tls.client();
            controller = bind("controller", controllerPort,
                    () -> ControllerServer.config().host(host).port(controllerPort).token(token)
                            .tls(serverTls).httpClient(client).start());
            String controllerUrl = controller.baseUrl();
            WorkerOptions options = WorkerOptions.builder()
                    .host(host)
                    .port(workerPort)
                    .controllerUrl(controllerUrl)
                    .token(token)
                    .limitConcurrency(limitConcurrency)
                    .build();
            worker = bind("worker", workerPort, () -> WorkerServer.start(model, options, serverTls,
                    client));
            api = bind("api", apiPort, () -> ApiServer.start(new ApiConfig(host, apiPort,
                    controllerUrl, token, apiKeys, null, null, null), serverTls, client));
            awaitRegistration(model.info().name());
        }

        /** Waits (briefly) until the worker is routable, so the first request just works. */
        private void awaitRegistration(String name) {
            long deadline = System.nanoTime() + REGISTER_WAIT.toNanos();
            while (!controller.registry().modelCounts().containsKey(name)) {
                if (System.nanoTime() - deadline > 0) {
                    log.warn("worker has not registered with the controller after {} s; requests "
                            + "will get 'no worker' until it does", REGISTER_WAIT.toSeconds());
                    return;
                }
                try {
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }

        /** Stops all three, once; later calls return at once. */
        void close(Duration drain) {
            if (!closed.compareAndSet(false, true)) {
                return;
            }
            if (api != null) {
                api.close();
            }
            if (worker != null) {
                worker.shutdown(drain).join();
            }
            if (controller != null) {
                controller.close();
            }
        }
    }

    private static <T> T bind(String what, int port, java.util.function.Supplier<T> start) {
        try {
            return start.get();
        } catch (RuntimeException e) {
            throw CliException.failure("cannot start the " + what + " on port " + port + ": "
                    + ControllerCommand.bindCause(e) + (port == 0 ? "" : " (choose another with --"
                    + what + "-port)"), e);
        }
    }
}
