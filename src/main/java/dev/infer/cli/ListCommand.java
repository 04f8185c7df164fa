package dev.infer.cli;

import dev.infer.client.ClientException;
import dev.infer.client.ControllerClient;
import dev.infer.protocol.Json;
import dev.infer.protocol.WorkerInfo;
import dev.infer.protocol.WorkerList;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code infer list}: the workers a controller knows, or the models they serve. */
@Command(name = "list", mixinStandardHelpOptions = true,
        description = "List the workers a controller knows (or, with --models, the models "
                + "they serve).")
public final class ListCommand implements Callable<Integer> {
    @Mixin VerboseMixin verbose;
    @Spec CommandSpec spec;

    @Mixin ControllerOptions cluster;


    @Option(names = "--models",
            description = "List models with the number of workers serving each.")
    boolean models;

    @Option(names = "--json", description = "Print JSON for scripts instead of a table.")
    boolean json;

    @Override
    public Integer call() {
        ControllerClient client = cluster.client();
        WorkerList list;
        try {
            list = client.listWorkers();
        } catch (ClientException e) {
            throw failure(client.baseUrl(), e);
        }
        List<WorkerInfo> workers = list.workers() == null ? List.of() : list.workers();
        PrintWriter out = spec.commandLine().getOut();
        if (models) {
            Map<String, Integer> counts = new TreeMap<>();
            for (WorkerInfo w : workers) {
                for (String m : w.modelNames()) {
                    counts.merge(m, 1, Integer::sum);
                }
            }
            printModels(out, counts);
        } else if (json) {
            out.println(Json.write(new WorkerList(workers)));
        } else {
            printWorkers(out, workers);
        }
        out.flush();
        return ExitCodes.OK;
    }

    private void printModels(PrintWriter out, Map<String, Integer> counts) {
        if (json) {
            List<Map<String, Object>> rows = new ArrayList<>();
            counts.forEach((m, n) -> {
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("model", m);
                row.put("workers", n);
                rows.add(row);
            });
            out.println(Json.write(Map.of("models", rows)));
            return;
        }
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"MODEL", "WORKERS"});
        counts.forEach((m, n) -> rows.add(new String[] {m, Integer.toString(n)}));
        printTable(out, rows, counts.isEmpty() ? "no models: no worker is registered" : null);
    }

    private static void printWorkers(PrintWriter out, List<WorkerInfo> workers) {
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"WORKER", "MODELS", "SPEED", "QUEUE", "LAST HEARTBEAT", "STATE"});
        for (WorkerInfo w : workers) {
            rows.add(new String[] {w.workerName(), String.join(",", w.modelNames()),
                number(w.speed()), Integer.toString(w.queueLength()),
                String.format(Locale.ROOT, "%.1fs ago", w.lastHeartBeatSecondsAgo()), w.state()});
        }
        printTable(out, rows, workers.isEmpty() ? "no workers registered" : null);
    }

    private static String number(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
    }

    /** Columns padded to their widest cell; {@code empty} is printed instead of a header alone. */
    private static void printTable(PrintWriter out, List<String[]> rows, String empty) {
        if (empty != null) {
            out.println(empty);
            return;
        }
        int[] widths = new int[rows.get(0).length];
        for (String[] row : rows) {
            for (int i = 0; i < row.length; i++) {
                widths[i] = Math.max(widths[i], row[i].length());
            }
        }
        for (String[] row : rows) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < row.length; i++) {
                line.append(i == row.length - 1 ? row[i]
                        : String.format("%-" + widths[i] + "s  ", row[i]));
            }
            out.println(line.toString().stripTrailing());
        }
    }

    /** One line naming the controller and why it could not answer. */
    static CliException failure(String url, ClientException e) {
        String message = e.getMessage() == null ? e.kind().name() : e.getMessage();
        // The client's message starts with the endpoint URL; the cause is what follows it.
        int colon = message.indexOf(": ", message.indexOf("://") + 3);
        String cause = colon >= 0 ? message.substring(colon + 2) : message;
        if (e.kind() == ClientException.Kind.UNREACHABLE
                || e.kind() == ClientException.Kind.TIMEOUT) {
            return CliException.failure("cannot reach controller at " + url + " (" + cause
                    + "); start one with 'infer controller' or pass --controller URL", e);
        }
        return CliException.failure("controller at " + url + " answered: " + cause, e);
    }
}
