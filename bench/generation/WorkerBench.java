import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Greedy generation through a running worker's {@code /worker_generate}, against a plain ONNX
 * Runtime loop over the same model in this process, rounds interleaved so both see the same
 * machine. The plain loop is the baseline a worker cannot beat: prefill, then one token per step
 * with the KV cache fed back, argmax, no tokenizer, no sampling, no HTTP.
 *
 * <p>Also: time to first token through {@code /worker_generate_stream} (request sent to the first
 * frame with text) against the plain loop's first step (prefill and argmax).
 *
 * <p>{@code java -cp target/infer.jar bench/generation/WorkerBench.java WORKER_URL MODEL_DIR
 * [TOKENS] [ROUNDS]}
 * (bench/generation/worker.sh starts the worker and runs this).
 */
public class WorkerBench {
    static final String PROMPT = "I think that it is";
    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP =
            HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    public static void main(String[] args) throws Exception {
        String worker = args[0];
        Path dir = Path.of(args[1]);
        int tokens = args.length > 2 ? Integer.parseInt(args[2]) : 64;
        int rounds = args.length > 3 ? Integer.parseInt(args[3]) : 15;
        long[] prompt;
        try (HuggingFaceTokenizer tok =
                HuggingFaceTokenizer.newInstance(
                        dir.resolve("tokenizer.json"), Map.of("addSpecialTokens", "true"))) {
            prompt = tok.encode(PROMPT).getIds();
        }
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions opts = new OrtSession.SessionOptions()) {
            // The same session options as the engine's, so the two differ only in the loop around
            // them.
            opts.setInterOpNumThreads(1);
            run(env, opts, worker, dir, prompt, tokens, rounds);
        }
    }

    static void run(
            OrtEnvironment env,
            OrtSession.SessionOptions opts,
            String worker,
            Path dir,
            long[] prompt,
            int tokens,
            int rounds)
            throws Exception {
        try (OrtSession session = env.createSession(dir.resolve("model.onnx").toString(), opts)) {
            PlainLoop plain = new PlainLoop(env, session);
            String body =
                    "{\"prompt\": \""
                            + PROMPT
                            + "\", \"temperature\": 0, \"max_new_tokens\": "
                            + tokens
                            + "}";
            for (int i = 0; i < 5; i++) {
                plain.generate(prompt, tokens);
                post(worker + "/worker_generate", body);
                firstFrame(worker + "/worker_generate_stream", body);
            }
            double[] plainRate = new double[rounds];
            double[] workerRate = new double[rounds];
            double[] plainFirst = new double[rounds];
            double[] workerFirst = new double[rounds];
            int workerTokens = 0;
            for (int i = 0; i < rounds; i++) {
                long t0 = System.nanoTime();
                plain.generate(prompt, tokens);
                plainRate[i] = tokens / ((System.nanoTime() - t0) / 1e9);
                plainFirst[i] = plain.firstStepNanos / 1e6;

                t0 = System.nanoTime();
                JsonNode r = post(worker + "/worker_generate", body);
                long t1 = System.nanoTime();
                workerTokens = r.get("usage").get("completion_tokens").asInt();
                workerRate[i] = workerTokens / ((t1 - t0) / 1e9);
                workerFirst[i] = firstFrame(worker + "/worker_generate_stream", body) / 1e6;
            }
            double p = median(plainRate);
            double w = median(workerRate);
            System.out.printf(
                    "model %s, prompt %d tokens, %d new tokens, greedy, %d rounds (medians)%n",
                    dir.getFileName(), prompt.length, tokens, rounds);
            System.out.printf(
                    "plain ONNX Runtime loop : %8.1f tokens/s   first step      %6.2f ms%n",
                    p, median(plainFirst));
            System.out.printf(
                    "worker /worker_generate : %8.1f tokens/s   first token (stream) %6.2f ms%n",
                    w, median(workerFirst));
            System.out.printf(
                    "ratio worker / plain    : %8.3f   (worker generated %d tokens per request)%n",
                    w / p, workerTokens);
        }
    }

    static JsonNode post(String url, String body) throws Exception {
        HttpResponse<byte[]> r =
                HTTP.send(
                        HttpRequest.newBuilder(URI.create(url))
                                .POST(HttpRequest.BodyPublishers.ofString(body))
                                .build(),
                        HttpResponse.BodyHandlers.ofByteArray());
        if (r.statusCode() != 200) {
            throw new IllegalStateException(
                    url + ": HTTP " + r.statusCode() + " " + new String(r.body()));
        }
        return JSON.readTree(r.body());
    }

    /** Nanoseconds from sending the request to the first frame with text; reads the rest. */
    static long firstFrame(String url, String body) throws Exception {
        long t0 = System.nanoTime();
        HttpResponse<InputStream> r =
                HTTP.send(
                        HttpRequest.newBuilder(URI.create(url))
                                .POST(HttpRequest.BodyPublishers.ofString(body))
                                .build(),
                        HttpResponse.BodyHandlers.ofInputStream());
        long first = 0;
        try (InputStream in = r.body()) {
            StringBuilder frame = new StringBuilder();
            int b;
            while ((b = in.read()) != -1) {
                if (b != 0) {
                    frame.append((char) b);
                    continue;
                }
                if (first == 0 && frame.indexOf("\"text\":\"\"") < 0 && frame.length() > 0) {
                    first = System.nanoTime() - t0;
                }
                frame.setLength(0);
            }
        }
        return first;
    }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }

    /** Greedy decoding of an Optimum-named decoder, the KV cache fed from one run to the next. */
    static final class PlainLoop {
        final OrtEnvironment env;
        final OrtSession session;
        final List<String> pastNames = new ArrayList<>();
        final Map<String, long[]> pastShapes = new HashMap<>();
        final boolean fp16;
        long firstStepNanos;

        PlainLoop(OrtEnvironment env, OrtSession session) throws Exception {
            this.env = env;
            this.session = session;
            boolean half = false;
            for (Map.Entry<String, NodeInfo> e : session.getInputInfo().entrySet()) {
                if (e.getKey().startsWith("past_key_values.")) {
                    TensorInfo info = (TensorInfo) e.getValue().getInfo();
                    pastNames.add(e.getKey());
                    pastShapes.put(e.getKey(), info.getShape());
                    half = info.type == OnnxJavaType.FLOAT16;
                }
            }
            fp16 = half;
        }

        long[] generate(long[] prompt, int count) throws Exception {
            long[] out = new long[count];
            long start = System.nanoTime();
            Map<String, OnnxTensor> past = new HashMap<>();
            for (String name : pastNames) {
                long[] s = pastShapes.get(name).clone();
                s[0] = 1;
                s[2] = 0;
                past.put(name, OnnxTensor.createTensor(env,
                        ByteBuffer.allocateDirect(0).order(ByteOrder.nativeOrder()), s,
                        fp16 ? OnnxJavaType.FLOAT16 : OnnxJavaType.FLOAT));
            }
            OrtSession.Result previous = null;
            long[] ids = prompt;
            int done = 0;
            try {
                for (int step = 0; step < count; step++) {
                    int n = ids.length;
                    long[] mask = new long[done + n];
                    Arrays.fill(mask, 1);
                    long[] pos = new long[n];
                    for (int i = 0; i < n; i++) {
                        pos[i] = done + i;
                    }
                    try (OnnxTensor idsT = OnnxTensor.createTensor(env, new long[][] {ids});
                            OnnxTensor maskT = OnnxTensor.createTensor(env, new long[][] {mask});
                            OnnxTensor posT = OnnxTensor.createTensor(env, new long[][] {pos})) {
                        Map<String, OnnxTensor> inputs = new HashMap<>(past);
                        inputs.put("input_ids", idsT);
                        inputs.put("attention_mask", maskT);
                        inputs.put("position_ids", posT);
                        OrtSession.Result result = session.run(inputs);
                        if (previous != null) {
                            previous.close();
                        } else {
                            past.values().forEach(OnnxTensor::close);
                        }
                        previous = result;
                        FloatBuffer logits =
                                ((OnnxTensor) result.get("logits").get()).getFloatBuffer();
                        int vocab = logits.capacity() / n;
                        int base = (n - 1) * vocab;
                        int best = 0;
                        float max = Float.NEGATIVE_INFINITY;
                        for (int v = 0; v < vocab; v++) {
                            float x = logits.get(base + v);
                            if (x > max) {
                                max = x;
                                best = v;
                            }
                        }
                        out[step] = best;
                        done += n;
                        ids = new long[] {best};
                        past = new HashMap<>();
                        for (String name : pastNames) {
                            String present = name.replace("past_key_values.", "present.");
                            past.put(name, (OnnxTensor) result.get(present).get());
                        }
                    }
                    if (step == 0) {
                        firstStepNanos = System.nanoTime() - start;
                    }
                }
            } finally {
                if (previous != null) {
                    previous.close();
                }
            }
            return out;
        }
    }
}
