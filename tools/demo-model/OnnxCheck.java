import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Greedy decoding of the exported demo model in ONNX Runtime with its KV cache: the prompt in one
 * run, then one token per run with the previous run's present.N tensors as past_key_values.N.
 * Each line of the cases file is "prompt ids;expected ids"; exits 1 on the first mismatch.
 * Run by train.py: java -cp onnxruntime.jar OnnxCheck.java model.onnx cases.txt
 */
public class OnnxCheck {
    public static void main(String[] args) throws Exception {
        var env = OrtEnvironment.getEnvironment();
        try (var session = env.createSession(args[0], new OrtSession.SessionOptions())) {
            int n = 0;
            for (String line : Files.readAllLines(Path.of(args[1]))) {
                String[] parts = line.split(";", -1);
                long[] prompt = ids(parts[0]);
                long[] expected = ids(parts[1]);
                long[] got = greedy(env, session, prompt, expected.length);
                if (!Arrays.equals(got, expected)) {
                    System.err.println("MISMATCH for prompt " + parts[0]);
                    System.err.println("  torch: " + Arrays.toString(expected));
                    System.err.println("  onnx:  " + Arrays.toString(got));
                    System.exit(1);
                }
                n++;
            }
            System.out.println("onnx check: " + n + " prompts, ONNX Runtime with KV cache "
                    + "gives the same greedy tokens as torch");
        }
    }

    static long[] ids(String s) {
        return s.isBlank() ? new long[0]
                : Arrays.stream(s.trim().split(" ")).mapToLong(Long::parseLong).toArray();
    }

    static long[] greedy(OrtEnvironment env, OrtSession session, long[] prompt, int steps)
            throws Exception {
        Map<String, OnnxTensor> past = new HashMap<>();
        for (Map.Entry<String, NodeInfo> e : session.getInputInfo().entrySet()) {
            if (e.getKey().startsWith("past_key_values.")) {
                long[] shape = ((TensorInfo) e.getValue().getInfo()).getShape();
                long[] empty = {1, shape[1], 0, shape[3]};
                past.put(e.getKey(), OnnxTensor.createTensor(env, FloatBuffer.allocate(0), empty));
            }
        }
        List<Long> out = new ArrayList<>();
        long[] feed = prompt;
        int pastLen = 0;
        OrtSession.Result previous = null;
        try {
            while (out.size() < steps) {
                long[] mask = new long[pastLen + feed.length];
                Arrays.fill(mask, 1);
                long[] pos = new long[feed.length];
                for (int i = 0; i < pos.length; i++) {
                    pos[i] = pastLen + i;
                }
                Map<String, OnnxTensor> inputs = new HashMap<>(past);
                try (var ids = tensor(env, feed); var am = tensor(env, mask);
                        var pi = tensor(env, pos)) {
                    inputs.put("input_ids", ids);
                    inputs.put("attention_mask", am);
                    inputs.put("position_ids", pi);
                    var result = session.run(inputs);
                    float[][][] logits = (float[][][]) result.get("logits").get().getValue();
                    float[] last = logits[0][feed.length - 1];
                    int best = 0;
                    for (int i = 1; i < last.length; i++) {
                        if (last[i] > last[best]) {
                            best = i;
                        }
                    }
                    if (previous == null) {
                        past.values().forEach(OnnxTensor::close);
                    } else {
                        previous.close();
                    }
                    previous = result;
                    past.clear();
                    for (String name : session.getInputNames()) {
                        if (name.startsWith("past_key_values.")) {
                            String present = name.replace("past_key_values.", "present.");
                            past.put(name, (OnnxTensor) result.get(present).get());
                        }
                    }
                    pastLen += feed.length;
                    out.add((long) best);
                    feed = new long[] {best};
                    if (best == 0) {
                        break;
                    }
                }
            }
        } finally {
            if (previous != null) {
                previous.close();
            }
        }
        return out.stream().mapToLong(Long::longValue).toArray();
    }

    static OnnxTensor tensor(OrtEnvironment env, long[] values) throws Exception {
        return OnnxTensor.createTensor(env, LongBuffer.wrap(values), new long[] {1, values.length});
    }
}
