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
import java.nio.FloatBuffer;
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

    private static final short POSITIVE_INFINITY = 0x7C00;
    /** The sign bit and the lowest bit of each 16-bit lane of a long (see argmaxHalf). */
    private static final long LANE_SIGNS = 0x8000_8000_8000_8000L;
    private static final long LANE_ONES = 0x0001_0001_0001_0001L;
    private static final boolean LITTLE_ENDIAN =
            ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN;

    /** Scratch for reading one row of fp16 scores; per thread, so rows may be read anywhere. */
    private static final ThreadLocal<short[]> HALVES = ThreadLocal.withInitial(() -> new short[0]);
    /** Scratch for one row of fp16 scores packed into longs, for {@link #argmaxHalf}. */
    private static final ThreadLocal<long[]> WORDS = ThreadLocal.withInitial(() -> new long[0]);

    private ByteBuffer logits = ByteBuffer.allocateDirect(0);
    private final IntInput idsInput = new IntInput();
    private final IntInput maskInput = new IntInput();
    private final IntInput positionInput = new IntInput();

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
            inputs.put(io.inputIds, own(owned, idsInput.tensor(io.idsType, ids, rows, width)));
            inputs.put(io.attentionMask,
                    own(owned, maskInput.tensor(io.maskType, mask, rows, total)));
            inputs.put(io.positionIds,
                    own(owned, positionInput.tensor(io.positionType, positions, rows, width)));
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
                return argmaxHalf(words(), vocab);
            }
            // fp32 scores are scanned where ONNX Runtime wrote them, without a copy per row.
            return Sampler.argmax(logits.asFloatBuffer(), first, vocab);
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

        /** The row packed as {@link #argmaxHalf} reads it. */
        private long[] words() {
            long[] words = WORDS.get();
            if (words.length < vocab / 4 + 1) {
                words = new long[vocab / 4 + 1];
                WORDS.set(words);
            }
            packHalves(logits.slice(first * 2, vocab * 2), vocab, words);
            return words;
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
     *
     * <p>The values come packed four to a long, value {@code i} in bits {@code 16 * (i % 4)} of
     * {@code words[i / 4]} (a little-endian buffer read as longs). Once the best so far is
     * positive (at once, for any real row of logits), the raw bits are the key: positive values
     * order as their bits do, and negative ones have the sign bit set. Then one subtraction per
     * long tells whether any of its four values is positive and above the best (each 16-bit lane
     * computes {@code 0x8000 + (v & 0x7FFF) - (best + 1)}, which never borrows from the next
     * lane), and only such a long is looked at value by value. Over 32,000 ids that is about 3
     * times faster than comparing every value as a key.
     */
    static int argmaxHalf(long[] words, int n) {
        short head = lane(words, 0);
        if (isNaN(head)) {
            return 0;
        }
        int best = 0;
        int bestKey = order(head);
        int i = 1;
        for (; i < n && bestKey <= 0; i++) {
            short v = lane(words, i);
            int key = order(v);
            if (key > bestKey) {
                if (isNaN(v) || (key == 0 && bestKey == -1)) {
                    // NaN never compares greater; +0 is not greater than -0.
                    continue;
                }
                best = i;
                bestKey = key;
            }
        }
        // From here on bestKey is the bits of a positive finite value (or the row is done).
        for (; i < n && (i & 3) != 0; i++) {
            short v = lane(words, i);
            if (v > bestKey && v <= POSITIVE_INFINITY) {
                best = i;
                bestKey = v;
            }
        }
        int whole = n >>> 2;
        for (int w = above(words, i >>> 2, whole, bestKey); w < whole;
                w = above(words, w + 1, whole, bestKey)) {
            for (int k = 0; k < 4; k++) {
                short v = (short) (words[w] >>> (k << 4));
                if (v > bestKey && v <= POSITIVE_INFINITY) {
                    best = (w << 2) + k;
                    bestKey = v;
                }
            }
        }
        for (int j = Math.max(i, whole << 2); j < n; j++) {
            short v = lane(words, j);
            if (v > bestKey && v <= POSITIVE_INFINITY) {
                best = j;
                bestKey = v;
            }
        }
        return best;
    }

    /**
     * Packs the first {@code n} fp16 values of {@code row} (native byte order, as ONNX Runtime
     * writes them) into {@code words} as {@link #argmaxHalf} reads them.
     */
    static void packHalves(ByteBuffer row, int n, long[] words) {
        ByteBuffer values = row.duplicate().order(ByteOrder.nativeOrder());
        // On a little-endian machine a long read in native order holds four values in lane
        // order, so whole longs are copied at once; the rest goes value by value.
        int bulk = LITTLE_ENDIAN ? n >>> 2 : 0;
        values.asLongBuffer().get(0, words, 0, bulk);
        for (int i = bulk << 2; i < n; i++) {
            long bits = (values.getShort(i * 2) & 0xFFFFL) << ((i & 3) << 4);
            words[i >>> 2] = (i & 3) == 0 ? bits : words[i >>> 2] | bits;
        }
    }

    /**
     * The first of {@code words[from..to)} holding a positive value (its sign bit clear) whose
     * bits exceed {@code key}, or {@code to}. A loop this plain is what the JIT compiles well;
     * with the rare update of the best inside it, it ran three times slower in some runs.
     */
    private static int above(long[] words, int from, int to, int key) {
        long threshold = LANE_ONES * (key + 1);
        for (int w = from; w < to; w++) {
            long x = words[w];
            if ((((x | LANE_SIGNS) - threshold) & ~x & LANE_SIGNS) != 0) {
                return w;
            }
        }
        return to;
    }

    private static short lane(long[] words, int i) {
        return (short) (words[i >>> 2] >>> ((i & 3) << 4));
    }

    private static int order(short half) {
        int v = half;
        return v ^ ((v >> 15) & 0x7FFF);
    }

    private static boolean isNaN(short half) {
        return (half & 0x7FFF) > 0x7C00;
    }

    /**
     * A direct buffer reused for one integer input across steps: a tensor made from a heap
     * array is copied by ONNX Runtime's binding into a fresh direct buffer on every call, which
     * showed up as allocation and zeroing in the profile of every step.
     */
    private final class IntInput {
        private ByteBuffer buffer = ByteBuffer.allocateDirect(0);

        /** A [rows, n] tensor of {@code values} in the element type the model declares. */
        OnnxTensor tensor(OnnxJavaType type, long[] values, int rows, int n)
                throws OrtException {
            int bytes = values.length * type.size;
            if (buffer.capacity() < bytes) {
                buffer = ByteBuffer.allocateDirect(Math.max(bytes, 2 * buffer.capacity()))
                        .order(ByteOrder.nativeOrder());
            }
            ByteBuffer view = buffer.slice(0, bytes).order(ByteOrder.nativeOrder());
            long[] shape = {rows, n};
            if (type == OnnxJavaType.INT32) {
                IntBuffer ints = view.asIntBuffer();
                for (long v : values) {
                    ints.put((int) v);
                }
                return OnnxTensor.createTensor(env, ints.rewind(), shape);
            }
            return OnnxTensor.createTensor(env, view.asLongBuffer().put(values).rewind(), shape);
        }
    }

    private static OnnxTensor own(List<OnnxTensor> owned, OnnxTensor t) {
        owned.add(t);
        return t;
    }
}
