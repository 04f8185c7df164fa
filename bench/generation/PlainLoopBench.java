import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.infer.engine.GenerationListener;
import dev.infer.engine.GenerationRequest;
import dev.infer.engine.GenerationResult;
import dev.infer.engine.LoadedModel;
import dev.infer.engine.ModelOptions;
import dev.infer.engine.Models;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Greedy generation speed through the engine against a plain ONNX Runtime loop over the same
 * Optimum-style model (int64 ids, past_key_values.N.key/value), in one run. The plain loop is the
 * floor of what any Java engine on ONNX Runtime can do: no sampling, no detokenisation, no stop
 * checks, no listener. Prints tokens/s for each and the ratio engine / plain.
 *
 * <p>Run from the repository root (single-file source launch):
 * {@code java -cp target/infer.jar bench/generation/PlainLoopBench.java DIR [TOKENS] [ROUNDS]
 * [THREADS]}. THREADS (default 0: ONNX Runtime's choice) applies to both sessions alike.
 */
public class PlainLoopBench {
    static final String PROMPT = "I think that it is";

    public static void main(String[] args) throws Exception {
        System.setProperty("ai.djl.offline", "true");
        Path dir = Path.of(args.length > 0 ? args[0]
                : "../shared/models/tiny-random-LlamaForCausalLM-fp16");
        int tokens = args.length > 1 ? Integer.parseInt(args[1]) : 64;
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 15;
        int threads = args.length > 3 ? Integer.parseInt(args[3]) : 0;
        long[] prompt;
        try (HuggingFaceTokenizer tok = HuggingFaceTokenizer.newInstance(
                dir.resolve("tokenizer.json"),
                Map.of("addSpecialTokens", "true", "truncation", "false"))) {
            prompt = tok.encode(PROMPT).getIds();
        }
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (LoadedModel model = Models.load(dir, new ModelOptions(null, threads, 1));
                OrtSession.SessionOptions opts = new OrtSession.SessionOptions();
                OrtSession session = plainSession(env, opts, dir, threads)) {
            double[] engine = new double[rounds];
            double[] plain = new double[rounds];
            long[] ttft = new long[rounds];
            for (int warm = 0; warm < 5; warm++) {
                int n = engineRun(model, tokens).completionTokens();
                plainRun(env, session, prompt, n);
            }
            for (int r = 0; r < rounds; r++) {
                GenerationResult res = engineRun(model, tokens);
                engine[r] = res.completionTokens() / (res.totalNanos() / 1e9);
                ttft[r] = res.timeToFirstTokenNanos();
                long t = System.nanoTime();
                plainRun(env, session, prompt, res.completionTokens());
                plain[r] = res.completionTokens() / ((System.nanoTime() - t) / 1e9);
            }
            double e = median(engine);
            double p = median(plain);
            System.out.printf("model %s, %d new tokens greedy, %d rounds (medians), "
                    + "intra-op threads %s%n", dir.getFileName(), tokens, rounds,
                    threads > 0 ? threads : "default");
            System.out.printf("plain ORT loop : %8.1f tokens/s%n", p);
            double firstTokenMs = Arrays.stream(ttft).sorted().toArray()[rounds / 2] / 1e6;
            System.out.printf("infer engine   : %8.1f tokens/s (ratio %.3f), first token %.2f ms%n",
                    e, e / p, firstTokenMs);
        }
    }

    static OrtSession plainSession(OrtEnvironment env, OrtSession.SessionOptions opts, Path dir,
            int threads) throws Exception {
        if (threads > 0) {
            opts.setIntraOpNumThreads(threads);
        }
        return env.createSession(dir.resolve("model.onnx").toString(), opts);
    }

    static GenerationResult engineRun(LoadedModel model, int tokens) throws Exception {
        return model.submit(GenerationRequest.greedy(PROMPT, tokens), GenerationListener.NONE)
                .result().get(60, TimeUnit.SECONDS);
    }

    /** The minimal loop: ids, mask, positions, present fed back as past, argmax. */
    static void plainRun(OrtEnvironment env, OrtSession session, long[] prompt, int n)
            throws Exception {
        long[] ids = Arrays.copyOf(prompt, prompt.length + n);
        int len = prompt.length;
        int past = 0;
        OrtSession.Result previous = null;
        for (int step = 0; step < n; step++) {
            int fresh = len - past;
            Map<String, OnnxTensor> in = new HashMap<>();
            long[] mask = new long[len];
            Arrays.fill(mask, 1);
            long[] pos = new long[fresh];
            for (int i = 0; i < fresh; i++) {
                pos[i] = past + i;
            }
            in.put("input_ids", OnnxTensor.createTensor(env,
                    LongBuffer.wrap(Arrays.copyOfRange(ids, past, len)), new long[] {1, fresh}));
            in.put("attention_mask", OnnxTensor.createTensor(env, LongBuffer.wrap(mask),
                    new long[] {1, len}));
            in.put("position_ids", OnnxTensor.createTensor(env, LongBuffer.wrap(pos),
                    new long[] {1, fresh}));
            Map<String, OnnxTensor> empties = new HashMap<>();
            for (String name : session.getInputNames()) {
                if (name.startsWith("past_key_values.")) {
                    if (previous == null) {
                        OnnxTensor empty = OnnxTensor.createTensor(env,
                                ByteBuffer.allocateDirect(0), new long[] {1, 1, 0, 16},
                                ai.onnxruntime.OnnxJavaType.FLOAT16);
                        empties.put(name, empty);
                        in.put(name, empty);
                    } else {
                        OnnxValue v = previous.get("present." + name.substring(16)).get();
                        in.put(name, (OnnxTensor) v);
                    }
                }
            }
            OrtSession.Result result = session.run(in);
            FloatBuffer logits = ((OnnxTensor) result.get("logits").get()).getFloatBuffer();
            int vocab = 32000;
            int base = (fresh - 1) * vocab;
            int best = 0;
            for (int i = 1; i < vocab; i++) {
                if (logits.get(base + i) > logits.get(base + best)) {
                    best = i;
                }
            }
            for (String k : new String[] {"input_ids", "attention_mask", "position_ids"}) {
                in.get(k).close();
            }
            empties.values().forEach(OnnxTensor::close);
            if (previous != null) {
                previous.close();
            }
            previous = result;
            past = len;
            ids[len++] = best;
        }
        if (previous != null) {
            previous.close();
        }
    }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }
}
