package dev.infer.engine;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A decoder's inputs and outputs as its own metadata declares them: names, element types, and
 * how the KV cache is laid out. Three naming schemes are recognised: Optimum
 * ({@code past_key_values.N.key} to {@code present.N.key}), whatever {@code genai_config.json}
 * names, and the older stacked layout where {@code past_N} holds key and value on axis 0.
 */
final class DecoderIo {
    /** One past input and the present output that feeds it on the next step. */
    record KvPair(String past, String present, long[] emptyShape, OnnxJavaType type) {
        /** Whether key and value are stacked on a leading axis ([2, batch, heads, seq, dim]). */
        boolean stacked() {
            return emptyShape.length == 5;
        }

        int heads() {
            return (int) emptyShape[emptyShape.length - 3];
        }

        int headDim() {
            return (int) emptyShape[emptyShape.length - 1];
        }
    }

    final String inputIds;
    final OnnxJavaType idsType;
    final String attentionMask;
    final OnnxJavaType maskType;
    final String positionIds;
    final OnnxJavaType positionType;
    /** Optimum's merged decoder switches between its two branches with this boolean input. */
    final String useCacheBranch;
    final String logits;
    final OnnxJavaType logitsType;
    /** The last dimension of the logits when the model declares it, else 0. */
    final int logitsVocab;
    /** Positions per row in the logits when the model fixes it (last token only), else 0. */
    final long logitsWidth;
    final List<KvPair> kv;
    /** Why several sequences cannot share one forward pass, or null when they can. */
    final String cannotBatch;

    DecoderIo(OrtSession session, JsonNode genai, int kvHeads, int headDim) throws OrtException {
        Map<String, NodeInfo> inputs = session.getInputInfo();
        Map<String, NodeInfo> outputs = session.getOutputInfo();
        JsonNode in = genai.path("decoder").path("inputs");
        JsonNode out = genai.path("decoder").path("outputs");
        inputIds = name(in, "input_ids", "input_ids");
        attentionMask = name(in, "attention_mask", "attention_mask");
        positionIds = name(in, "position_ids", "position_ids");
        logits = name(out, "logits", "logits");
        if (!inputs.containsKey(inputIds) || !outputs.containsKey(logits)) {
            throw new EngineException(EngineException.Reason.BAD_MODEL, "the model has no "
                    + (inputs.containsKey(inputIds) ? "'" + logits + "' output" : "'" + inputIds
                    + "' input") + " (inputs " + inputs.keySet() + ", outputs " + outputs.keySet()
                    + ")");
        }
        idsType = type(inputs, inputIds);
        maskType = inputs.containsKey(attentionMask) ? type(inputs, attentionMask) : null;
        positionType = inputs.containsKey(positionIds) ? type(inputs, positionIds) : null;
        useCacheBranch = inputs.containsKey("use_cache_branch") ? "use_cache_branch" : null;
        logitsType = type(outputs, logits);
        long[] logitsShape = tensor(outputs, logits).getShape();
        logitsVocab = (int) Math.max(0, logitsShape[logitsShape.length - 1]);
        logitsWidth = logitsShape.length == 3 ? Math.max(0, logitsShape[1]) : 0;

        kv = new ArrayList<>();
        List<String> unknown = new ArrayList<>();
        for (String name : inputs.keySet()) {
            if (name.equals(inputIds) || name.equals(attentionMask) || name.equals(positionIds)
                    || name.equals(useCacheBranch)) {
                continue;
            }
            String present = presentFor(name, in, out);
            if (present == null || !outputs.containsKey(present)) {
                unknown.add(name);
                continue;
            }
            TensorInfo info = tensor(inputs, name);
            kv.add(new KvPair(name, present, emptyShape(info.getShape(), kvHeads, headDim),
                    info.type));
        }
        if (!unknown.isEmpty()) {
            throw new EngineException(EngineException.Reason.BAD_MODEL,
                    "the model has inputs this engine cannot feed: " + unknown);
        }
        cannotBatch = cannotBatch(inputs);
    }

    /**
     * Batching pads shorter sequences on the left, so it needs a KV cache to keep per sequence,
     * an attention mask to hide the padding, position ids to give each row its own positions, and
     * a batch dimension that is not fixed at 1.
     */
    private String cannotBatch(Map<String, NodeInfo> inputs) {
        if (kv.isEmpty()) {
            return "it has no KV cache inputs";
        }
        if (maskType == null) {
            return "it has no " + attentionMask + " input to hide padding with";
        }
        if (positionType == null) {
            return "it has no " + positionIds + " input for per-sequence positions";
        }
        boolean fixed = tensor(inputs, inputIds).getShape()[0] == 1
                || tensor(inputs, attentionMask).getShape()[0] == 1
                || tensor(inputs, positionIds).getShape()[0] == 1;
        for (KvPair p : kv) {
            fixed |= tensor(inputs, p.past()).getShape()[p.stacked() ? 1 : 0] == 1;
        }
        return fixed ? "its export fixes the batch dimension to 1" : null;
    }

    boolean hasKvInputs() {
        return !kv.isEmpty();
    }

    /**
     * The shape of an empty past: batch 1, sequence 0. Optimum's per-tensor layout is
     * [batch, heads, seq, head_dim]; the stacked layout is [2, batch, heads, seq, head_dim].
     * Dimensions the model leaves symbolic are filled from the config.
     */
    private static long[] emptyShape(long[] declared, int kvHeads, int headDim) {
        long[] shape = declared.clone();
        int offset = shape.length == 5 ? 1 : 0;
        if (shape.length != 4 + offset) {
            throw new EngineException(EngineException.Reason.BAD_MODEL,
                    "unexpected KV cache rank " + shape.length + " (want 4, or 5 when stacked)");
        }
        if (offset == 1) {
            shape[0] = 2;
        }
        shape[offset] = 1;
        shape[offset + 2] = 0;
        if (shape[offset + 1] < 0) {
            shape[offset + 1] = require(kvHeads, "num_key_value_heads");
        }
        if (shape[offset + 3] < 0) {
            shape[offset + 3] = require(headDim, "head_size");
        }
        return shape;
    }

    private static int require(int value, String what) {
        if (value <= 0) {
            throw new EngineException(EngineException.Reason.BAD_MODEL,
                    "the KV cache shape is symbolic and no config gives " + what);
        }
        return value;
    }

    /** The present output that the next step feeds back as this past input, or null. */
    private static String presentFor(String past, JsonNode in, JsonNode out) {
        for (String[] keys : new String[][] {
            {"past_key_names", "present_key_names"},
            {"past_value_names", "present_value_names"},
            {"past_names", "present_names"}}) {
            String pastPattern = in.path(keys[0]).asText("");
            String presentPattern = out.path(keys[1]).asText("");
            if (pastPattern.contains("%d") && !presentPattern.isEmpty()) {
                String[] parts = pastPattern.split("%d", 2);
                if (past.startsWith(parts[0]) && past.endsWith(parts[1])) {
                    String layer = past.substring(parts[0].length(),
                            past.length() - parts[1].length());
                    if (layer.matches("\\d+")) {
                        return presentPattern.replace("%d", layer);
                    }
                }
            }
        }
        if (past.startsWith("past_key_values.")) {
            return "present." + past.substring("past_key_values.".length());
        }
        if (past.matches("past_\\d+")) {
            return "present_" + past.substring("past_".length());
        }
        return null;
    }

    private static String name(JsonNode section, String key, String fallback) {
        return section.path(key).asText(fallback);
    }

    private static TensorInfo tensor(Map<String, NodeInfo> infos, String name) {
        if (!(infos.get(name).getInfo() instanceof TensorInfo t)) {
            throw new EngineException(EngineException.Reason.BAD_MODEL, name + " is not a tensor");
        }
        return t;
    }

    private static OnnxJavaType type(Map<String, NodeInfo> infos, String name) {
        return tensor(infos, name).type;
    }
}
