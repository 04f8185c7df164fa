package dev.infer.engine;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * A BERT-like encoder serving sentence embeddings: mean of the last hidden state over the
 * attention mask, L2-normalised. Owns the session, its options and the tokenizer. Thread-safe.
 */
final class EncoderModel implements LoadedModel {

    private final ModelInfo info;
    private final OrtSession.SessionOptions sessionOptions;
    private final OrtSession session;
    private final TextTokenizer tokenizer;
    private final String output;
    /** Embeddings hold the read side; close takes the write side, so it waits for them. */
    private final ReentrantReadWriteLock lifecycle = new ReentrantReadWriteLock();
    private volatile boolean closed;

    EncoderModel(ModelInfo info, OrtSession.SessionOptions sessionOptions, OrtSession session,
            TextTokenizer tokenizer) {
        this.info = info;
        this.sessionOptions = sessionOptions;
        this.session = session;
        this.tokenizer = tokenizer;
        this.output = session.getOutputNames().contains("last_hidden_state") ? "last_hidden_state"
                : session.getOutputNames().iterator().next();
    }

    @Override
    public ModelInfo info() {
        return info;
    }

    @Override
    public int countTokens(String text) {
        ensureOpen();
        return tokenizer.encode(text).length;
    }

    @Override
    public String renderChat(List<Message> messages) {
        throw notADecoder();
    }

    @Override
    public Generation submit(GenerationRequest request, GenerationListener listener) {
        throw notADecoder();
    }

    @Override
    public Embeddings embed(List<String> texts, boolean truncate) {
        lifecycle.readLock().lock();
        try {
            ensureOpen();
            return embedOpen(texts, truncate);
        } finally {
            lifecycle.readLock().unlock();
        }
    }

    private Embeddings embedOpen(List<String> texts, boolean truncate) {
        List<long[][]> encoded = new ArrayList<>();
        int tokens = 0;
        for (int i = 0; i < texts.size(); i++) {
            long[][] e = encode(texts.get(i), i, truncate);
            encoded.add(e);
            tokens += e[0].length;
        }
        List<float[]> vectors = new ArrayList<>();
        for (long[][] e : encoded) {
            try {
                vectors.add(embedOne(e));
            } catch (OrtException ex) {
                throw new EngineException(EngineException.Reason.RUNTIME,
                        "ONNX Runtime failed: " + ex.getMessage(), ex);
            }
        }
        return new Embeddings(vectors, tokens);
    }

    /** Ids and type ids, cut to the window (keeping the closing special token) when asked. */
    private long[][] encode(String text, int index, boolean truncate) {
        Encoding e = tokenizer.encoding(text);
        long[] ids = e.getIds();
        long[] types = e.getTypeIds();
        int window = info.contextLength();
        if (ids.length > window) {
            if (!truncate) {
                throw new EngineException(EngineException.Reason.INVALID_INPUT, "input " + index
                        + " is " + ids.length + " tokens, over this model's window of " + window
                        + " tokens (ask for truncation to cut it)");
            }
            long[] special = e.getSpecialTokenMask();
            long last = ids[ids.length - 1];
            boolean closing = special[special.length - 1] == 1;
            ids = Arrays.copyOf(ids, window);
            types = Arrays.copyOf(types, window);
            if (closing) {
                ids[window - 1] = last;
            }
        }
        return new long[][] {ids, types};
    }

    // TODO: one ONNX Runtime run per text; padding the texts into one batch would embed long
    // lists faster (the mask-weighted mean already allows padding).
    private float[] embedOne(long[][] encoded) throws OrtException {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        long[] ids = encoded[0];
        long[] ones = new long[ids.length];
        Arrays.fill(ones, 1);
        Map<String, long[]> values = Map.of("input_ids", ids, "attention_mask", ones,
                "token_type_ids", encoded[1]);
        Map<String, OnnxTensor> inputs = new HashMap<>();
        try {
            for (Map.Entry<String, NodeInfo> in : session.getInputInfo().entrySet()) {
                long[] v = values.get(in.getKey());
                if (v == null) {
                    throw new EngineException(EngineException.Reason.BAD_MODEL,
                            "encoder input " + in.getKey() + " is not one this engine feeds");
                }
                inputs.put(in.getKey(), tensor(env, in.getValue(), v));
            }
            try (OrtSession.Result result = session.run(inputs)) {
                OnnxTensor hidden = (OnnxTensor) result.get(output).orElseThrow();
                long[] shape = hidden.getInfo().getShape();
                int dim = (int) shape[shape.length - 1];
                FloatBuffer values3 = hidden.getFloatBuffer();
                float[] mean = new float[dim];
                // Pooled outputs (rank 2) are used as they are; otherwise average the positions
                // (every position is attended: one unpadded text per run).
                int rows = shape.length == 2 ? 1 : (int) shape[1];
                for (int r = 0; r < rows; r++) {
                    for (int d = 0; d < dim; d++) {
                        mean[d] += values3.get(r * dim + d) / rows;
                    }
                }
                return normalise(mean);
            }
        } finally {
            inputs.values().forEach(OnnxTensor::close);
        }
    }

    private static OnnxTensor tensor(OrtEnvironment env, NodeInfo info, long[] v)
            throws OrtException {
        long[] shape = {1, v.length};
        if (info.getInfo() instanceof TensorInfo t && t.type == OnnxJavaType.INT32) {
            int[] narrow = Arrays.stream(v).mapToInt(x -> (int) x).toArray();
            return OnnxTensor.createTensor(env, java.nio.IntBuffer.wrap(narrow), shape);
        }
        return OnnxTensor.createTensor(env, java.nio.LongBuffer.wrap(v), shape);
    }

    private static float[] normalise(float[] v) {
        double norm = 0;
        for (float x : v) {
            norm += x * x;
        }
        norm = Math.sqrt(norm);
        if (norm > 0) {
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) (v[i] / norm);
            }
        }
        return v;
    }

    @Override
    public void close() {
        lifecycle.writeLock().lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
        } finally {
            lifecycle.writeLock().unlock();
        }
        Models.release(info.name(), session, sessionOptions, tokenizer);
    }

    private EngineException notADecoder() {
        ensureOpen();
        return new EngineException(EngineException.Reason.INVALID_INPUT,
                info.name() + " is an embedding model and does not generate text");
    }

    private void ensureOpen() {
        if (closed) {
            throw new EngineException(EngineException.Reason.CLOSED,
                    "model " + info.name() + " is closed");
        }
    }
}
