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
import java.nio.ShortBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One forward pass of a decoder: feeds a sequence's new tokens (or, without a cache, all of them)
 * and returns the logits of the last position. Stateless apart from the session it borrows, so
 * one instance serves every generation; the per-sequence state lives in {@link KvSequence}.
 */
final class DecoderStep {
    private final OrtEnvironment env;
    private final OrtSession session;
    private final DecoderIo io;
    private final boolean useCache;
    private final Set<String> wanted;

    DecoderStep(OrtEnvironment env, OrtSession session, DecoderIo io, boolean useCache) {
        this.env = env;
        this.session = session;
        this.io = io;
        this.useCache = useCache && io.hasKvInputs();
        this.wanted = new LinkedHashSet<>();
        wanted.add(io.logits);
        if (this.useCache) {
            io.kv.forEach(p -> wanted.add(p.present()));
        }
    }

    /** The same model fed the whole sequence each step (for checking the cache against). */
    DecoderStep withoutCache() {
        return new DecoderStep(env, session, io, false);
    }

    boolean usesCache() {
        return useCache;
    }

    /**
     * Runs the model on the tokens of {@code seq} not yet in its cache and returns the logits for
     * the next token. With the cache, the outputs become the sequence's new cache (the old
     * result is closed only after this run returned, since its tensors were this run's inputs).
     */
    float[] run(KvSequence seq, OrtSession.RunOptions options) throws OrtException {
        int from = useCache ? seq.cached() : 0;
        int total = seq.length();
        int fresh = total - from;
        List<OnnxTensor> owned = new ArrayList<>();
        OrtSession.Result result = null;
        try {
            Map<String, OnnxTensor> inputs = new HashMap<>();
            inputs.put(io.inputIds, own(owned, ints(io.idsType, seq.ids(from, total), fresh)));
            if (io.maskType != null) {
                long[] ones = new long[total];
                java.util.Arrays.fill(ones, 1);
                inputs.put(io.attentionMask, own(owned, ints(io.maskType, ones, total)));
            }
            if (io.positionType != null) {
                long[] pos = new long[fresh];
                for (int i = 0; i < fresh; i++) {
                    pos[i] = from + i;
                }
                inputs.put(io.positionIds, own(owned, ints(io.positionType, pos, fresh)));
            }
            boolean cached = useCache && seq.cache() != null;
            if (io.useCacheBranch != null) {
                inputs.put(io.useCacheBranch,
                        own(owned, OnnxTensor.createTensor(env, new boolean[] {cached})));
            }
            for (DecoderIo.KvPair p : io.kv) {
                inputs.put(p.past(), cached ? present(seq.cache(), p.present())
                        : own(owned, empty(p)));
            }
            result = session.run(inputs, wanted, options);
            float[] logits = lastLogits((OnnxTensor) result.get(io.logits).orElseThrow(), fresh);
            if (useCache) {
                seq.replaceCache(result, total);
                result = null;
            }
            return logits;
        } finally {
            if (result != null) {
                result.close();
            }
            owned.forEach(OnnxTensor::close);
        }
    }

    private static OnnxTensor present(OrtSession.Result cache, String name) {
        OnnxValue v = cache.get(name).orElseThrow(() -> new EngineException(
                EngineException.Reason.RUNTIME, "the model returned no " + name));
        return (OnnxTensor) v;
    }

    private OnnxTensor empty(DecoderIo.KvPair p) throws OrtException {
        ByteBuffer none = ByteBuffer.allocateDirect(0).order(ByteOrder.nativeOrder());
        return OnnxTensor.createTensor(env, none, p.emptyShape(), p.type());
    }

    /** A [1, n] tensor of ids, mask or positions in the element type the model declares. */
    private OnnxTensor ints(OnnxJavaType type, long[] values, int n) throws OrtException {
        long[] shape = {1, n};
        if (type == OnnxJavaType.INT32) {
            int[] narrow = new int[n];
            for (int i = 0; i < n; i++) {
                narrow[i] = (int) values[i];
            }
            return OnnxTensor.createTensor(env, java.nio.IntBuffer.wrap(narrow), shape);
        }
        return OnnxTensor.createTensor(env, java.nio.LongBuffer.wrap(values, 0, n), shape);
    }

    /**
     * The last position's row of [1, seq, vocab] logits as floats. For float16 only that row is
     * widened (measured faster than {@code getFloatBuffer()}, which widens the whole tensor).
     */
    private float[] lastLogits(OnnxTensor logits, int seqLen) {
        long[] shape = logits.getInfo().getShape();
        int vocab = (int) shape[shape.length - 1];
        int rows = (int) (logits.getInfo().getNumElements() / vocab);
        int offset = (rows - 1) * vocab;
        float[] row = new float[vocab];
        if (io.logitsType == OnnxJavaType.FLOAT16) {
            ShortBuffer halves = logits.getShortBuffer();
            for (int i = 0; i < vocab; i++) {
                row[i] = Fp16Conversions.fp16ToFloat(halves.get(offset + i));
            }
        } else if (io.logitsType == OnnxJavaType.FLOAT) {
            FloatBuffer floats = logits.getFloatBuffer();
            floats.position(offset);
            floats.get(row);
        } else {
            throw new EngineException(EngineException.Reason.BAD_MODEL,
                    "logits of type " + io.logitsType + " are not supported");
        }
        return row;
    }

    private static OnnxTensor own(List<OnnxTensor> owned, OnnxTensor t) {
        owned.add(t);
        return t;
    }
}
