package dev.infer.engine;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * The KV cache of a batch of sequences: batch-major, left-padded, in direct buffers that this
 * object owns and ONNX Runtime reads and writes in place.
 *
 * <p><b>Layout.</b> Each KV tensor of the model is one contiguous block shaped as the model
 * declares it: {@code [rows, heads, length, headDim]} (Optimum's {@code past_key_values.N.key}),
 * or {@code [2, rows, heads, length, headDim]} with key and value stacked (ONNX Runtime's older
 * GPT-2 {@code past_N}). All rows share one padded {@code length}; row {@code r}'s
 * {@code live[r]} tokens sit at the right end of it and the columns before them are zeros that
 * the attention mask hides. fp16 and fp32 caches are handled alike: only the element size
 * differs.
 *
 * <p><b>Steady state costs no copy of ours.</b> Each KV tensor has two buffers. A step reads the
 * past from one and ONNX Runtime writes the present (past plus the new column) into the other,
 * pinned as that run's output; then the two swap. The only copy is the one the model itself
 * makes when it concatenates past and new keys (Optimum and GPT-2 exports do that every step,
 * O(rows x length) per layer), and the buffers are reused, so there is no allocation per step.
 *
 * <p><b>Joining and leaving cost one copy of the live cache.</b> When the batch's members
 * change, {@link #compose} writes the rows that stay (and those of freshly prefilled sequences)
 * into the spare buffer, each right-aligned to the new length, which is the longest live row:
 * dropping the longest sequence compacts the padding away. That is one memcpy per (row, head)
 * of live keys and values, plus zeroing the padding, O(sum of live lengths) per layer; it happens
 * once per membership change, not per step. The price of padding is compute on the zeros:
 * attention over {@code length} columns for every row, so a batch of one long and many short
 * sequences does the long one's attention work for all of them.
 *
 * <p>Numerics: masked columns get zero weight, but softmax and the weighted sum then run over
 * more columns, and a row's real columns sit at other offsets, so a kernel may add in another
 * order. On the shared fp16 Llama, the fp32 GPT-2 and the tests' own models, greedy output in a
 * batch is identical to output alone (the tests assert exactly that); a larger fp16 model could
 * differ in the last bits of a logit, and so flip a near-tie.
 *
 * <p>Memory: two buffers per KV tensor, each sized for the largest batch seen (they grow by
 * doubling and are dropped by {@link #release}, which the scheduler calls once its model has been
 * idle for a while, to the garbage collector: they are plain direct memory, not ONNX Runtime
 * objects). Not thread-safe: the scheduler thread alone uses it.
 */
final class KvBatch {
    /** A row of a batch, as a source for {@link #compose}. */
    record Row(KvBatch batch, int row) {
        int live() {
            return batch.live[row];
        }
    }

    private static final ByteBuffer ZEROS = ByteBuffer.allocateDirect(1 << 16);

    private final List<DecoderIo.KvPair> pairs;
    private final ByteBuffer[] current;
    private final ByteBuffer[] spare;
    private int rows;
    private int length;
    private int[] live = new int[0];

    KvBatch(List<DecoderIo.KvPair> pairs) {
        this.pairs = pairs;
        this.current = new ByteBuffer[pairs.size()];
        this.spare = new ByteBuffer[pairs.size()];
    }

    int rows() {
        return rows;
    }

    /** The padded length shared by every row. */
    int length() {
        return length;
    }

    /** Tokens of row {@code r} in the cache (the rest of {@link #length()} is padding). */
    int live(int r) {
        return live[r];
    }

    /** Starts an empty cache of {@code n} rows (before a prefill). */
    void reset(int n) {
        rows = n;
        length = 0;
        live = new int[n];
    }

    /**
     * Adds the past inputs (the current buffers) to {@code inputs}; the tensors created go to
     * {@code owned}, which the caller closes after the run.
     */
    void addPast(OrtEnvironment env, Map<String, OnnxTensor> inputs, List<OnnxTensor> owned)
            throws OrtException {
        for (int i = 0; i < pairs.size(); i++) {
            DecoderIo.KvPair p = pairs.get(i);
            current[i] = ensure(current[i], bytes(p, rows, length));
            OnnxTensor t = tensor(env, current[i], p, rows, length);
            owned.add(t);
            inputs.put(p.past(), t);
        }
    }

    /**
     * Pins the present outputs into the spare buffers, sized for {@code fresh} more columns;
     * after the run, {@link #advance} makes them current.
     */
    void pinPresent(OrtEnvironment env, Map<String, OnnxValue> outputs, List<OnnxTensor> owned,
            int fresh) throws OrtException {
        for (int i = 0; i < pairs.size(); i++) {
            DecoderIo.KvPair p = pairs.get(i);
            spare[i] = ensure(spare[i], bytes(p, rows, length + fresh));
            OnnxTensor t = tensor(env, spare[i], p, rows, length + fresh);
            owned.add(t);
            outputs.put(p.present(), t);
        }
    }

    /**
     * After a run whose presents were pinned: the spare buffers become current, {@code fresh}
     * columns longer; {@code added[r]} of them are row r's real tokens (the rest, left padding).
     */
    void advance(int fresh, int[] added) {
        swap();
        length += fresh;
        for (int r = 0; r < rows; r++) {
            live[r] += added[r];
        }
    }

    /**
     * Makes {@code members} this batch's rows, in that order: each one's live columns are copied
     * right-aligned into the spare buffers and the padding in front zeroed; then the spare
     * buffers become current. A member may come from this batch or from another one (a prefill).
     */
    void compose(List<Row> members) {
        int newLength = 0;
        for (Row m : members) {
            newLength = Math.max(newLength, m.live());
        }
        int n = members.size();
        for (int i = 0; i < pairs.size(); i++) {
            DecoderIo.KvPair p = pairs.get(i);
            spare[i] = ensure(spare[i], bytes(p, n, newLength));
            int token = p.headDim() * p.type().size;
            int outer = p.stacked() ? 2 : 1;
            for (int o = 0; o < outer; o++) {
                for (int r = 0; r < n; r++) {
                    Row m = members.get(r);
                    KvBatch src = m.batch();
                    ByteBuffer from = src.current[i];
                    int pad = newLength - m.live();
                    for (int h = 0; h < p.heads(); h++) {
                        int dst = (((o * n + r) * p.heads() + h) * newLength) * token;
                        int at = ((((o * src.rows + m.row()) * p.heads() + h) * src.length)
                                + (src.length - m.live())) * token;
                        zero(spare[i], dst, pad * token);
                        spare[i].put(dst + pad * token, from, at, m.live() * token);
                    }
                }
            }
        }
        int[] lives = new int[n];
        for (int r = 0; r < n; r++) {
            lives[r] = members.get(r).live();
        }
        swap();
        rows = n;
        length = newLength;
        live = lives;
    }

    /** Drops the buffers (an empty batch keeps no memory). */
    void release() {
        Arrays.fill(current, null);
        Arrays.fill(spare, null);
        reset(0);
    }

    private void swap() {
        for (int i = 0; i < current.length; i++) {
            ByteBuffer t = current[i];
            current[i] = spare[i];
            spare[i] = t;
        }
    }

    private static int bytes(DecoderIo.KvPair p, int rows, int length) {
        long b = (long) (p.stacked() ? 2 : 1) * rows * p.heads() * length * p.headDim()
                * p.type().size;
        if (b > Integer.MAX_VALUE) {
            // TODO: buffers are indexed by int, so one KV tensor of a batch is capped at 2 GiB;
            // larger batches or contexts of big models would need long offsets (MemorySegment).
            throw new EngineException(EngineException.Reason.RUNTIME,
                    "a KV tensor of this batch would exceed 2 GiB; lower --max-batch-size");
        }
        return (int) b;
    }

    private static ByteBuffer ensure(ByteBuffer buffer, int bytes) {
        if (buffer != null && buffer.capacity() >= bytes) {
            return buffer;
        }
        int capacity = Math.max(bytes, buffer == null ? 0
                : (int) Math.min(Integer.MAX_VALUE, 2L * buffer.capacity()));
        ByteBuffer fresh = ByteBuffer.allocateDirect(capacity).order(ByteOrder.nativeOrder());
        if (buffer != null) {
            // Growing the current buffer keeps its contents (the spare one's do not matter).
            fresh.put(0, buffer, 0, buffer.capacity());
        }
        return fresh;
    }

    private static OnnxTensor tensor(OrtEnvironment env, ByteBuffer buffer, DecoderIo.KvPair p,
            int rows, int length) throws OrtException {
        long[] shape = p.stacked()
                ? new long[] {2, rows, p.heads(), length, p.headDim()}
                : new long[] {rows, p.heads(), length, p.headDim()};
        ByteBuffer view = buffer.slice(0, bytes(p, rows, length)).order(ByteOrder.nativeOrder());
        return OnnxTensor.createTensor(env, view, shape, p.type());
    }

    private static void zero(ByteBuffer buffer, int at, int bytes) {
        while (bytes > 0) {
            int n = Math.min(bytes, ZEROS.capacity());
            buffer.put(at, ZEROS, 0, n);
            at += n;
            bytes -= n;
        }
    }
}
