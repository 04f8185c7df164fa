import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.hc.client5.http.classic.methods.HttpPost;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.client5.http.impl.classic.HttpClients;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManagerBuilder;
import org.apache.hc.core5.http.ClassicHttpResponse;
import org.apache.hc.core5.http.ContentType;
import org.apache.hc.core5.http.io.SocketConfig;
import org.apache.hc.core5.http.io.entity.StringEntity;

/**
 * Aggregate tokens/s and time to first token with N concurrent streams through
 * {@code /worker_generate_stream}, against two running workers of the same model: one with
 * batching on, one with it off. Rounds alternate between them so both see the same machine.
 * Each stream is one greedy request for TOKENS new tokens; prompts differ in length, so batches
 * hold rows of different lengths.
 *
 * <p>{@code java -cp target/infer.jar bench/batching/BatchingBench.java ON_URL OFF_URL TOKENS
 * ROUNDS STREAMS...} (bench/batching/run.sh starts the workers and runs this).
 */
public class BatchingBench {
    static final String[] PROMPTS = {"I think that it is", "Once upon a time there was",
        "The weather today", "Hello", "A list of prime numbers: two, three, five",
        "In the beginning"};
    static final ObjectMapper JSON = new ObjectMapper();
    /**
     * A blocking client that reads each stream on its own thread (Apache HttpClient, which the
     * jar carries): the JDK's client hands every read through its selector and executor threads,
     * which on a small machine adds milliseconds to the measured time to first token.
     */
    static final CloseableHttpClient HTTP = HttpClients.custom()
            .setConnectionManager(PoolingHttpClientConnectionManagerBuilder.create()
                    .setDefaultSocketConfig(SocketConfig.custom().setTcpNoDelay(true).build())
                    .setMaxConnPerRoute(64).setMaxConnTotal(128).build())
            .disableContentCompression().disableAutomaticRetries().build();

    record Stream(long firstNanos, long totalNanos, int tokens) {}

    record Round(double tokensPerSecond, double ttftMs, int tokens) {}

    public static void main(String[] args) throws Exception {
        String on = args[0];
        String off = args[1];
        int tokens = Integer.parseInt(args[2]);
        int rounds = Integer.parseInt(args[3]);
        int[] streams = Arrays.stream(args, 4, args.length).mapToInt(Integer::parseInt).toArray();
        ExecutorService pool = Executors.newCachedThreadPool();
        // Both workers are JVMs: their first few thousand steps run cold code while the JIT
        // compiles it (on the same cores), so they are warmed up before anything is measured,
        // with one stream as well as eight (a lone stream takes other paths: its text work runs
        // on the batch thread).
        int warmup = Integer.parseInt(System.getenv().getOrDefault("WARMUP", "100"));
        for (int i = 0; i < warmup; i++) {
            round(pool, on, 8, tokens);
            round(pool, off, 8, tokens);
            round(pool, on, 1, tokens);
            round(pool, off, 1, tokens);
        }
        System.out.printf("%d new tokens per stream, greedy, %d rounds per cell (medians)%n",
                tokens, rounds);
        System.out.printf("%-8s | %-22s | %-22s | %-7s | %s%n", "streams",
                "batching on tok/s", "batching off tok/s", "on/off", "TTFT ms on / off");
        for (int n : streams) {
            double[] onRate = new double[rounds];
            double[] offRate = new double[rounds];
            double[] onFirst = new double[rounds];
            double[] offFirst = new double[rounds];
            int onTokens = 0;
            for (int r = 0; r < rounds; r++) {
                Round a = round(pool, on, n, tokens);
                Round b = round(pool, off, n, tokens);
                onRate[r] = a.tokensPerSecond();
                offRate[r] = b.tokensPerSecond();
                onFirst[r] = a.ttftMs();
                offFirst[r] = b.ttftMs();
                onTokens = a.tokens();
            }
            System.out.printf("%-8d | %22.1f | %22.1f | %7.2f | %7.1f / %7.1f   (%d tokens)%n",
                    n, median(onRate), median(offRate), median(onRate) / median(offRate),
                    median(onFirst), median(offFirst), onTokens);
        }
        pool.shutdown();
    }

    /** N streams started together; tokens/s over the whole round, TTFT the streams' median. */
    static Round round(ExecutorService pool, String worker, int n, int tokens) throws Exception {
        List<Callable<Stream>> calls = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String prompt = PROMPTS[i % PROMPTS.length];
            calls.add(() -> stream(worker + "/worker_generate_stream", prompt, tokens));
        }
        long t0 = System.nanoTime();
        List<Future<Stream>> futures = pool.invokeAll(calls);
        long wall = System.nanoTime() - t0;
        int total = 0;
        double[] first = new double[n];
        for (int i = 0; i < n; i++) {
            Stream s = futures.get(i).get();
            total += s.tokens();
            first[i] = s.firstNanos() / 1e6;
        }
        return new Round(total / (wall / 1e9), median(first), total);
    }

    static Stream stream(String url, String prompt, int tokens) throws Exception {
        // ignore_eos: every stream generates exactly TOKENS tokens, even on a model (the demo)
        // whose greedy answers end early.
        String body = JSON.writeValueAsString(java.util.Map.of("prompt", prompt,
                "temperature", 0, "max_new_tokens", tokens, "ignore_eos", true));
        HttpPost post = new HttpPost(url);
        post.setEntity(new StringEntity(body, ContentType.APPLICATION_JSON));
        long t0 = System.nanoTime();
        ClassicHttpResponse r = HTTP.executeOpen(null, post, null);
        // Cheap on purpose (the client shares the machine with the worker): frames are split on
        // \0 in 8 KiB reads, the first frame with text is spotted by its bytes, and only the last
        // frame is parsed.
        long first = 0;
        byte[] last = null;
        try (r; InputStream in = r.getEntity().getContent()) {
            ByteArrayOutputStream frame = new ByteArrayOutputStream();
            byte[] buf = new byte[8192];
            int n;
            while ((n = in.read(buf)) != -1) {
                int start = 0;
                for (int i = 0; i < n; i++) {
                    if (buf[i] != 0) {
                        continue;
                    }
                    frame.write(buf, start, i - start);
                    start = i + 1;
                    if (frame.size() > 0) {
                        if (first == 0 && !frame.toString(StandardCharsets.UTF_8)
                                .startsWith("{\"text\":\"\"")) {
                            first = System.nanoTime() - t0;
                        }
                        last = frame.toByteArray();
                    }
                    frame.reset();
                }
                frame.write(buf, start, n - start);
            }
        }
        if (r.getCode() != 200 || last == null) {
            throw new IllegalStateException(url + ": HTTP " + r.getCode());
        }
        JsonNode end = JSON.readTree(last);
        if (end.path("error_code").asInt() != 0) {
            throw new IllegalStateException(url + ": " + end);
        }
        return new Stream(first, System.nanoTime() - t0,
                end.path("usage").path("completion_tokens").asInt());
    }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
