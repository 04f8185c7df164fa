package dev.infer.engine;

import ai.onnxruntime.OrtSession;
import java.util.Arrays;

/**
 * One sequence being decoded: its token ids and, when the model has a KV cache, the previous
 * step's {@link OrtSession.Result}, whose {@code present} tensors are the next step's past. This
 * object is the one owner of that result; {@link #close()} releases it.
 */
final class KvSequence implements AutoCloseable {
    private long[] ids;
    private int length;
    /** Tokens whose keys and values are in {@link #cache}. */
    private int cached;
    private OrtSession.Result cache;

    KvSequence(long[] prompt) {
        this.ids = Arrays.copyOf(prompt, Math.max(16, prompt.length * 2));
        this.length = prompt.length;
    }

    void append(long id) {
        if (length == ids.length) {
            ids = Arrays.copyOf(ids, length * 2);
        }
        ids[length++] = id;
    }

    int length() {
        return length;
    }

    long id(int i) {
        return ids[i];
    }

    long[] ids(int from, int to) {
        return Arrays.copyOfRange(ids, from, to);
    }

    int cached() {
        return cached;
    }

    /** The previous step's outputs, or null before the first step. */
    OrtSession.Result cache() {
        return cache;
    }

    /** Keeps a step's outputs as the cache for the next step and closes the old ones. */
    void replaceCache(OrtSession.Result next, int tokens) {
        OrtSession.Result old = cache;
        cache = next;
        cached = tokens;
        if (old != null) {
            old.close();
        }
    }

    @Override
    public void close() {
        replaceCache(null, 0);
    }
}
