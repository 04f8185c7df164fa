package dev.infer.engine;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.platform.Fp16Conversions;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One forward pass over several sequences at once: a batched prefill (each row's prompt, left
 * padded to the longest) or a batched decode (each row's one new token). Rows of different
 * lengths share the pass through a per-row attention mask (zeros over padding) and per-row
 * position ids (each row counts its own tokens), over the left-padded cache of {@link KvBatch}.
 * Logits and presents are pinned outputs in direct buffers, so nothing the model returns is
 * copied to the Java heap except the last position's logits of each row.
 */
final class BatchedStep {
    private final OrtEnvironment env;
    private final OrtSession session;
    private final DecoderIo io;
    private final int vocab;
    /** Positions per row in the logits output: fixed by some exports, else the fed width. */
    private final long declaredLogitsWidth;
    /**
     * Every fp16 value widened by {@link Fp16Conversions} once (256 KiB): widening a row of
     * logits by lookup is several times faster than converting each value, and exactly equal.
     */
    private static final float[] HALF_TO_FLOAT = new float[1 << 16];

    static {
        for (int i = 0; i < HALF_TO_FLOAT.length; i++) {
            HALF_TO_FLOAT[i] = Fp16Conversions.fp16ToFloat((short) i);
        }
    }

    /** Scratch for reading one row of fp16 scores; per thread, so rows may be read anywhere. */
    private static final ThreadLocal<short[]> HALVES = ThreadLocal.withInitial(() -> new short[0]);

    private ByteBuffer logits = ByteBuffer.allocateDirect(0);

    BatchedStep(OrtEnvironment env, OrtSession session, DecoderIo io, int vocab,
            long declaredLogitsWidth) {
        this.env = env;
        this.session = session;
        this.io = io;
        this.vocab = vocab;
        this.declaredLogitsWidth = declaredLogitsWidth;
    }

    /**
     * Feeds {@code fresh.get(r)} (the ids of row r not yet in {@code kv}) for every row, one
     * call, and returns each row's logits for its next token, as views of the output buffer that
     * stay valid until the next call. The new keys and values land in
     * {@code kv}, right-aligned. Rows with fewer fresh ids than the widest are padded on the left;
     * since a prefill starts from an empty cache and a decode feeds one id per row, padding is
     * always in front of a row's real tokens.
     */
    Logits[] run(List<long[]> fresh, KvBatch kv, OrtSession.RunOptions options)
            throws OrtException {
        int rows = fresh.size();
        int width = 0;
        for (long[] f : fresh) {
            width = Math.max(width, f.length);
        }
        int past = kv.length();
        int total = past + width;
        long[] ids = new long[rows * width];
        long[] mask = new long[rows * total];
        long[] positions = new long[rows * width];
        int[] added = new int[rows];
        for (int r = 0; r < rows; r++) {
            long[] f = fresh.get(r);
            int pad = width - f.length;
            int live = kv.live(r);
            added[r] = f.length;
            for (int j = 0; j < f.length; j++) {
                ids[r * width + pad + j] = f[j];
                positions[r * width + pad + j] = live + j;
            }
            // Past columns: padding, then the row's live tokens; new ones: padding, then its ids.
            for (int c = past - live; c < past; c++) {
                mask[r * total + c] = 1;
            }
            for (int c = past + pad; c < total; c++) {
                mask[r * total + c] = 1;
            }
        }
        List<OnnxTensor> owned = new ArrayList<>();
        try {
            Map<String, OnnxTensor> inputs = new HashMap<>();
            inputs.put(io.inputIds, own(owned, ints(io.idsType, ids, rows, width)));
            inputs.put(io.attentionMask, own(owned, ints(io.maskType, mask, rows, total)));
            inputs.put(io.positionIds, own(owned, ints(io.positionType, positions, rows, width)));
            if (io.useCacheBranch != null) {
                inputs.put(io.useCacheBranch,
                        own(owned, OnnxTensor.createTensor(env, new boolean[] {past > 0})));
            }
            kv.addPast(env, inputs, owned);
            Map<String, OnnxValue> outputs = new HashMap<>();
            kv.pinPresent(env, outputs, owned, width);
            int perRow = declaredLogitsWidth > 0 ? (int) declaredLogitsWidth : width;
            outputs.put(io.logits, own(owned, pinLogits(rows, perRow)));
            session.run(inputs, Set.of(), outputs, options).close();
            kv.advance(width, added);
            if (io.logitsType != OnnxJavaType.FLOAT16 && io.logitsType != OnnxJavaType.FLOAT) {
                throw new EngineException(EngineException.Reason.BAD_MODEL,
                        "logits of type " + io.logitsType + " are not supported");
            }
            Logits[] out = new Logits[rows];
            for (int r = 0; r < rows; r++) {
                out[r] = new Row((long) (r * perRow + perRow - 1) * vocab);
            }
            return out;
        } finally {
            owned.forEach(OnnxTensor::close);
        }
    }

    private OnnxTensor pinLogits(int rows, int perRow) throws OrtException {
        long elements = (long) rows * perRow * vocab;
        long bytes = elements * io.logitsType.size;
        if (bytes > Integer.MAX_VALUE) {
            throw new EngineException(EngineException.Reason.RUNTIME,
                    "the logits of this step would exceed 2 GiB; lower --max-batch-tokens");
        }
        if (logits.capacity() < bytes) {
            logits = ByteBuffer.allocateDirect((int) bytes).order(ByteOrder.nativeOrder());
        }
        ByteBuffer view = logits.slice(0, (int) bytes).order(ByteOrder.nativeOrder());
        return OnnxTensor.createTensor(env, view, new long[] {rows, perRow, vocab},
                io.logitsType);
    }

    /** One position's scores in the logits buffer. */
    private final class Row implements Logits {
        private final int first;

        Row(long firstElement) {
            this.first = (int) firstElement;
        }

        @Override
        public int argmax() {
            if (io.logitsType == OnnxJavaType.FLOAT16) {
                return argmaxHalf(halves(), vocab);
            }
            return Sampler.argmax(toFloats());
        }

        /** Widened to float as {@link DecoderStep} does. */
        @Override
        public float[] toFloats() {
            float[] row = new float[vocab];
            if (io.logitsType == OnnxJavaType.FLOAT16) {
                short[] halves = halves();
                for (int i = 0; i < vocab; i++) {
                    row[i] = HALF_TO_FLOAT[halves[i] & 0xFFFF];
                }
            } else {
                logits.asFloatBuffer().get(first, row);
            }
            return row;
        }

        private short[] halves() {
            short[] halves = HALVES.get();
            if (halves.length < vocab) {
                halves = new short[vocab];
                HALVES.set(halves);
            }
            logits.asShortBuffer().get(first, halves, 0, vocab);
            return halves;
        }
    }

    /**
     * The index of the largest of {@code n} fp16 values, the first on ties, exactly as
     * {@link Sampler#argmax} finds it over the same values widened to float, but comparing the
     * raw bits: flipping the magnitude bits of negative values makes their signed order the
     * numeric order. -0 equals +0 and NaN never wins, as with float comparison.
     */
    static int argmaxHalf(short[] values, int n) {
        if (isNaN(values[0])) {
            return 0;
        }
        int best = 0;
        int bestKey = order(values[0]);
        for (int i = 1; i < n; i++) {
            int key = order(values[i]);
            if (key > bestKey) {
                if (isNaN(values[i]) || (key == 0 && bestKey == -1)) {
                    // NaN never compares greater; +0 is not greater than -0.
                    continue;
                }
                best = i;
                bestKey = key;
            }
        }
        return best;
    }

    private static int order(short half) {
        int v = half;
        return v ^ ((v >> 15) & 0x7FFF);
    }

    private static boolean isNaN(short half) {
        return (half & 0x7FFF) > 0x7C00;
    }

    /** A [rows, n] tensor of ids, mask or positions in the element type the model declares. */
    private OnnxTensor ints(OnnxJavaType type, long[] values, int rows, int n)
            throws OrtException {
        long[] shape = {rows, n};
        if (type == OnnxJavaType.INT32) {
            int[] narrow = new int[values.length];
            for (int i = 0; i < values.length; i++) {
                narrow[i] = (int) values[i];
            }
            return OnnxTensor.createTensor(env, IntBuffer.wrap(narrow), shape);
        }
        return OnnxTensor.createTensor(env, LongBuffer.wrap(values), shape);
    }

    private static OnnxTensor own(List<OnnxTensor> owned, OnnxTensor t) {
        owned.add(t);
        return t;
    }
}
