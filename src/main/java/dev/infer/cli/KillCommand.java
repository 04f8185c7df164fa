package dev.infer.cli;

import dev.infer.client.ClientException;
import dev.infer.client.ControllerClient;
import dev.infer.protocol.KillRequest;
import dev.infer.protocol.KillResponse;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code infer kill}: through the controller's {@code /kill_worker}, removes workers from the
 * registry at once and tells each to drain and exit.
 */
@Command(name = "kill", mixinStandardHelpOptions = true,
        description = "Stop workers: by address, every worker of --model NAME, or --all. They leave"
                + " the registry at once, finish in-flight requests (unless --force) and exit.")
public final class KillCommand implements Callable<Integer> {
    @Mixin VerboseMixin verbose;
    @Spec CommandSpec spec;

    @Parameters(arity = "0..1", paramLabel = "TARGET",
            description = "Worker address, e.g. http://127.0.0.1:21002 (or host:port).")
    String target;

    @Option(names = "--model", paramLabel = "NAME", description = "Stop every worker serving NAME.")
    String model;

    @Option(names = "--all", description = "Stop every registered worker.")
    boolean all;

    @Option(names = "--force", description = "Do not drain: cancel in-flight requests at once.")
    boolean force;

    @Option(
            names = "--timeout",
            paramLabel = "SECONDS",
            description =
                    "Longest drain before in-flight requests are cancelled"
                            + " (default: the worker's).")
    Double timeout;

    @Mixin ControllerOptions cluster;


    @Override
    public Integer call() {
        int chosen = (target != null ? 1 : 0) + (model != null ? 1 : 0) + (all ? 1 : 0);
        if (chosen != 1) {
            throw CliException.usage("give exactly one of TARGET, --model NAME or --all");
        }
        if (timeout != null && !(timeout >= 0 && Double.isFinite(timeout))) {
            throw CliException.usage("--timeout must be a number of seconds >= 0, got " + timeout);
        }
        String worker = target == null ? null : address(target);
        ControllerClient client = cluster.client();
        KillResponse r;
        try {
            r =
                    client.kill(
                            new KillRequest(
                                    worker,
                                    model,
                                    all ? Boolean.TRUE : null,
                                    force ? Boolean.TRUE : null,
                                    timeout));
        } catch (ClientException e) {
            if (e.kind() == ClientException.Kind.ERROR_RESPONSE && e.status() == 404) {
                throw CliException.failure("nothing to stop: " + cause(e));
            }
            throw ListCommand.failure(client.baseUrl(), e);
        }
        List<String> killed = r.killed() == null ? List.of() : r.killed();
        List<String> unreachable = r.unreachable() == null ? List.of() : r.unreachable();
        if (killed.isEmpty()) {
            throw CliException.failure("nothing to stop: no " + what(worker) + " is registered");
        }
        PrintWriter out = spec.commandLine().getOut();
        for (String name : killed) {
            if (!unreachable.contains(name)) {
                out.println((force ? "stopping " : "draining ") + name);
            }
        }
        out.flush();
        if (!unreachable.isEmpty()) {
            throw CliException.failure(String.join(", ", unreachable)
                    + " did not answer; removed from the registry, but it may still be running");
        }
        return ExitCodes.OK;
    }

    private String what(String worker) {
        return worker != null
                ? "worker " + worker
                : model != null ? "worker serving model " + model : "worker";
    }

    /** FastChat's worker names are URLs; accept {@code host:port} and add the scheme. */
    static String address(String target) {
        String t = target.strip();
        if (!t.contains("://")) {
            t = "http://" + t;
        }
        return t.endsWith("/") ? t.substring(0, t.length() - 1) : t;
    }

    private static String cause(ClientException e) {
        String message = e.getMessage();
        int colon = message.indexOf(": ", message.indexOf("://") + 3);
        return colon >= 0 ? message.substring(colon + 2) : message;
    }
}
