import dev.infer.engine.Generation;
import dev.infer.engine.GenerationRequest;
import dev.infer.engine.LoadedModel;
import dev.infer.engine.ModelOptions;
import dev.infer.engine.SamplingParams;
import dev.infer.engine.Models;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The engine alone, no HTTP: aggregate tokens/s with N generations submitted together to one
 * model loaded twice in this process, batching on and off, rounds alternating. It isolates what
 * batching does to the forward passes from the worker's per-token streaming costs.
 *
 * <p>{@code java -cp target/infer.jar bench/batching/EngineBench.java MODEL_DIR TOKENS ROUNDS
 * THREADS BATCH STREAMS...}
 */
public class EngineBench {
    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        int tokens = Integer.parseInt(args[1]);
        int rounds = Integer.parseInt(args[2]);
        int threads = Integer.parseInt(args[3]);
        int batch = Integer.parseInt(args[4]);
        int[] streams = Arrays.stream(args, 5, args.length).mapToInt(Integer::parseInt).toArray();
        try (LoadedModel on = Models.load(dir, new ModelOptions("on", threads, batch));
                LoadedModel off = Models.load(dir, new ModelOptions("off", 1, 1))) {
            int warmup = Integer.parseInt(System.getenv().getOrDefault("WARMUP", "100"));
            for (int i = 0; i < warmup; i++) {
                round(on, 8, tokens);
                round(off, 8, tokens);
            }
            System.out.printf("engine only: %d new tokens per generation, greedy, %d rounds "
                    + "(medians); on: batch %d, %d threads; off: 1 thread per call%n", tokens,
                    rounds, batch, threads);
            System.out.printf("%-8s | %-18s | %-18s | %s%n", "streams", "batching on tok/s",
                    "batching off tok/s", "on/off");
            for (int n : streams) {
                double[] a = new double[rounds];
                double[] b = new double[rounds];
                for (int r = 0; r < rounds; r++) {
                    a[r] = round(on, n, tokens);
                    b[r] = round(off, n, tokens);
                }
                System.out.printf("%-8d | %18.1f | %18.1f | %6.2f%n", n, median(a), median(b),
                        median(a) / median(b));
            }
        }
    }

    static double round(LoadedModel model, int n, int tokens) throws Exception {
        // The same prompts as BatchingBench.
        String[] prompts = {"I think that it is", "Once upon a time there was",
            "The weather today", "Hello", "A list of prime numbers: two, three, five",
            "In the beginning"};
        long t0 = System.nanoTime();
        List<Generation> gs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            gs.add(model.submit(new GenerationRequest(prompts[i % prompts.length], tokens,
                    SamplingParams.GREEDY, List.of(), List.of(), false, true),
                    null));
        }
        int total = 0;
        for (Generation g : gs) {
            total += g.result().get(120, TimeUnit.SECONDS).completionTokens();
        }
        return total / ((System.nanoTime() - t0) / 1e9);
    }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
