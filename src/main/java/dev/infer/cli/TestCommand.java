package dev.infer.cli;

import dev.infer.client.ClientException;
import dev.infer.client.ControllerClient;
import dev.infer.client.JsonHttp;
import dev.infer.client.WorkerClient;
import dev.infer.protocol.ChatMessage;
import dev.infer.protocol.GenerateChunk;
import dev.infer.protocol.GenerateRequest;
import dev.infer.protocol.Json;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code infer test}: sends one short chat message to every model the controller knows (or the
 * one named, or the models of one worker), streams each answer, and reports time to first token
 * and tokens per second. Exits 0 only when every model answered.
 */
@Command(name = "test", mixinStandardHelpOptions = true,
        description = "Send a short message to every model (or --model, --worker) and report time"
                + " to first token and tokens/s; exit 0 only if every model answered.")
public final class TestCommand implements Callable<Integer> {
    @Mixin VerboseMixin verbose;
    @Spec CommandSpec spec;

    @Option(names = "--model", paramLabel = "NAME", description = "Test only this model.")
    String model;

    @Option(names = "--worker", paramLabel = "URL",
            description = "Test this worker directly instead of asking the controller.")
    String worker;

    @Option(names = "--message", defaultValue = "Hello! Who are you?", paramLabel = "TEXT",
            description = "The message to send (default: '${DEFAULT-VALUE}').")
    String message;

    @Option(names = "--max-tokens", defaultValue = "32", paramLabel = "N",
            description = "Most tokens each answer may have (default: ${DEFAULT-VALUE}).")
    int maxTokens;

    @Option(names = "--timeout", defaultValue = "60", paramLabel = "SECONDS",
            description = "Longest wait for an answer to start (default: ${DEFAULT-VALUE}).")
    double timeout;

    @Option(names = "--json", description = "Print one JSON object per model, for scripts.")
    boolean json;

    @Mixin ControllerOptions cluster;


    /** One model's outcome; {@code error} is null when it answered. */
    record Outcome(String model, String worker, boolean ok, Double timeToFirstTokenMs,
            Integer completionTokens, Double tokensPerSecond, String text, String error) {}

    @Override
    public Integer call() {
        if (maxTokens < 1) {
            throw CliException.usage("--max-tokens must be at least 1, got " + maxTokens);
        }
        if (!(timeout > 0) || Double.isInfinite(timeout)) {
            throw CliException.usage("--timeout must be a number of seconds > 0, got " + timeout);
        }
        WorkerClient workers =
                new WorkerClient(
                        new JsonHttp(cluster.token), Duration.ofMillis(Math.round(timeout * 1000)));
        List<String[]> targets = worker != null ? workerTargets(workers) : controllerTargets();
        PrintWriter out = spec.commandLine().getOut();
        int failed = 0;
        for (String[] t : targets) {
            Outcome o = t[1].isEmpty() ? new Outcome(t[0], null, false, null, null, null, null,
                    "no worker serves it") : run(workers, t[0], t[1]);
            failed += o.ok() ? 0 : 1;
            out.println(json ? Json.write(o) : line(o));
            out.flush();
        }
        if (failed > 0) {
            throw CliException.failure(
                    failed + " of " + targets.size() + " model(s) did not answer");
        }
        return ExitCodes.OK;
    }

    /** Model name and worker address pairs; an empty address means no worker serves the model. */
    private List<String[]> controllerTargets() {
        ControllerClient client = cluster.client();
        try {
            List<String> models = model != null ? List.of(model) : client.listModels();
            if (models.isEmpty()) {
                throw CliException.failure(
                        "no models: no worker is registered with " + client.baseUrl());
            }
            List<String[]> targets = new ArrayList<>();
            for (String m : models) {
                targets.add(new String[] {m, client.workerAddress(m)});
            }
            return targets;
        } catch (ClientException e) {
            throw ListCommand.failure(client.baseUrl(), e);
        }
    }

    private List<String[]> workerTargets(WorkerClient workers) {
        String address = KillCommand.address(worker);
        List<String> names;
        try {
            names = workers.status(address).modelNames();
        } catch (ClientException e) {
            throw CliException.failure(
                    "cannot reach worker at " + address + ": " + e.getMessage(), e);
        }
        if (names == null || names.isEmpty()) {
            throw CliException.failure("worker at " + address + " serves no model");
        }
        if (model != null && !names.contains(model)) {
            throw CliException.failure("worker at " + address + " does not serve " + model
                    + "; it serves " + String.join(", ", names));
        }
        List<String[]> targets = new ArrayList<>();
        for (String m : model != null ? List.of(model) : names) {
            targets.add(new String[] {m, address});
        }
        return targets;
    }

    private Outcome run(WorkerClient workers, String name, String address) {
        GenerateRequest request =
                new GenerateRequest(
                        name,
                        null,
                        List.of(new ChatMessage("user", message)),
                        0.0,
                        null,
                        null,
                        null,
                        maxTokens,
                        null,
                        null,
                        false,
                        null,
                        null,
                        null);
        long start = System.nanoTime();
        long[] first = {0};
        GenerateChunk last;
        try {
            last =
                    workers.generateStream(
                            address,
                            request,
                            chunk -> {
                                if (first[0] == 0
                                        && chunk.text() != null
                                        && !chunk.text().isEmpty()
                                        && !chunk.isError()) {
                                    first[0] = System.nanoTime();
                                }
                            });
        } catch (ClientException e) {
            return new Outcome(name, address, false, null, null, null, null, e.getMessage());
        }
        long end = System.nanoTime();
        if (last.isError()) {
            return new Outcome(name, address, false, null, null, null, null,
                    "error " + last.errorCode() + ": " + last.text());
        }
        int tokens = last.usage() == null ? 0 : last.usage().completionTokens();
        double ttft = ((first[0] == 0 ? end : first[0]) - start) / 1e6;
        double seconds = (end - start) / 1e9;
        return new Outcome(
                name,
                address,
                true,
                round(ttft),
                tokens,
                round(tokens / seconds),
                last.text(),
                null);
    }

    private static double round(double v) {
        return Math.round(v * 10) / 10.0;
    }

    private static String line(Outcome o) {
        if (!o.ok()) {
            return o.model() + "  FAILED  " + o.error();
        }
        String preview = o.text().replace('\n', ' ').strip();
        if (preview.length() > 60) {
            preview = preview.substring(0, 57) + "...";
        }
        return String.format(
                Locale.ROOT,
                "%s  ok  %s  first token %.1f ms  %d tokens  %.1f tokens/s  \"%s\"",
                o.model(),
                o.worker(),
                o.timeToFirstTokenMs(),
                o.completionTokens(),
                o.tokensPerSecond(),
                preview);
    }
}
