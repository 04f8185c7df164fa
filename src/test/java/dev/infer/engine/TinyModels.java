package dev.infer.engine;

import static dev.infer.engine.OnnxProto.node;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Builds tiny causal decoders for tests: one attention layer over a word-level vocabulary, with a
 * KV cache in either Optimum's naming or the older stacked {@code past_N} layout, learned
 * position embeddings from {@code position_ids}, and the attention mask applied as a bias (so
 * left-padded batches must mask and position each row right to match a lone sequence). Written by
 * hand-rolled protobuf so a clone without the shared models still exercises the whole engine.
 */
final class TinyModels {
    /** Word-level vocabulary: id 0 is EOS, 1 unknown, then these words in order. */
    static final List<String> WORDS =
            List.of("the", "cat", "sat", "on", "mat", "and", "dog", "ran");
    static final int VOCAB = WORDS.size() + 2;
    static final int CONTEXT = 64;

    /** How the model's weights behave. */
    enum Weights {
        /** Each word is followed by the next one; the last word is followed by EOS. */
        COUNTING,
        /** Seeded random weights where attention over the whole context decides; never EOS. */
        RANDOM
    }

    /** How the KV cache is passed in and out. */
    enum Layout {
        /** {@code past_key_values.0.key/value} in, {@code present.0.key/value} out, int64 ids. */
        OPTIMUM,
        /** One {@code past_0} [2, batch, 1, past, dim] in, {@code present_0} out, int32 ids. */
        STACKED,
        /** No cache inputs or outputs at all: the engine must feed the whole sequence. */
        NONE
    }

    private TinyModels() {}

    /**
     * Writes model.onnx, tokenizer.json, tokenizer_config.json and config.json into {@code dir}.
     *
     * @param layout the KV cache naming, as Optimum or old ONNX Runtime GPT-2 exports have it
     */
    static Path write(Path dir, Weights weights, Layout layout) throws IOException {
        return write(dir, weights, layout, "batch");
    }

    /**
     * As {@link #write(Path, Weights, Layout)}, with the batch dimension of every input and
     * output declared as {@code batch}: a name for a symbolic one, or 1 for an export that
     * cannot batch.
     */
    static Path write(Path dir, Weights weights, Layout layout, Object batch) throws IOException {
        Files.createDirectories(dir);
        Files.write(dir.resolve("model.onnx"), OnnxProto.model(graph(weights, layout, batch), 14)
                .toByteArray());
        Files.writeString(dir.resolve("tokenizer.json"), tokenizerJson());
        Files.writeString(dir.resolve("tokenizer_config.json"), """
                {"eos_token": "<eos>", "chat_template": "{% for m in messages %}{% if m.role == \
                'system' %}{{ raise_exception('no system turns here') }}{% endif %}{{ m.content \
                }} {% endfor %}{% if add_generation_prompt %}the{% endif %}"}
                """);
        Files.writeString(dir.resolve("generation_config.json"), "{\"do_sample\": true, "
                + "\"temperature\": 0.7, \"top_p\": 0.9, \"eos_token_id\": 0}");
        Files.writeString(dir.resolve("config.json"), "{\"eos_token_id\": 0, "
                + "\"max_position_embeddings\": " + CONTEXT + ", \"vocab_size\": " + VOCAB + "}");
        return dir;
    }

    private static OnnxProto graph(Weights weights, Layout layout, Object batch) {
        boolean stacked = layout == Layout.STACKED;
        boolean cache = layout != Layout.NONE;
        int dim = weights == Weights.COUNTING ? VOCAB : 8;
        Random random = new Random(42);
        float[] embed = new float[VOCAB * dim];
        float[] out = new float[dim * VOCAB];
        float[] bias = new float[VOCAB];
        float attention = weights == Weights.COUNTING ? 0.05f : 0.8f;
        if (weights == Weights.COUNTING) {
            for (int id = 0; id < VOCAB; id++) {
                embed[id * dim + id] = 4;
                int next = id < 2 ? 1 : id == VOCAB - 1 ? 0 : id + 1;
                out[id * VOCAB + next] = 1;
            }
        } else {
            fill(embed, random, 1);
            fill(out, random, 1);
            bias[0] = -1000; // never EOS: the random model runs to its token limit
        }
        float[] wq = fill(new float[dim * dim], random, attention);
        float[] wk = fill(new float[dim * dim], random, attention);
        float[] wv = fill(new float[dim * dim], random, attention);
        // Position embeddings (zero for the counting model, which must not depend on position)
        // and the attention mask as an additive bias: both matter once rows are left-padded.
        float[] positions = weights == Weights.COUNTING ? new float[CONTEXT * dim]
                : fill(new float[CONTEXT * dim], random, 0.5f);

        List<OnnxProto> nodes = new ArrayList<>();
        String pastK = "past_key_values.0.key";
        String pastV = "past_key_values.0.value";
        String presentK = "present.0.key";
        String presentV = "present.0.value";
        if (stacked) {
            pastK = "past_k";
            pastV = "past_v";
            presentK = "present_k";
            presentV = "present_v";
            nodes.add(node("Gather", new String[] {"past_0", "zero"}, new String[] {pastK},
                    OnnxProto.intAttribute("axis", 0)));
            nodes.add(node("Gather", new String[] {"past_0", "one"}, new String[] {pastV},
                    OnnxProto.intAttribute("axis", 0)));
        }
        nodes.add(node("Gather", new String[] {"embed", "input_ids"}, new String[] {"tok"}));
        nodes.add(node("Gather", new String[] {"pos_embed", "position_ids"},
                new String[] {"pos"}));
        nodes.add(node("Add", new String[] {"tok", "pos"}, new String[] {"e"}));
        nodes.add(node("Cast", new String[] {"attention_mask"}, new String[] {"mask_f"},
                OnnxProto.intAttribute("to", OnnxProto.FLOAT)));
        nodes.add(node("Sub", new String[] {"mask_f", "one_f"}, new String[] {"mask_neg"}));
        nodes.add(node("Mul", new String[] {"mask_neg", "big_f"}, new String[] {"mask_bias"}));
        nodes.add(node("Unsqueeze", new String[] {"mask_bias", "axes12"},
                new String[] {"mask_bias4"}));
        for (String w : new String[] {"q", "k", "v"}) {
            nodes.add(node("MatMul", new String[] {"e", "w" + w}, new String[] {w}));
            nodes.add(node("Unsqueeze", new String[] {w, "axis1"}, new String[] {w + "h"}));
        }
        if (cache) {
            nodes.add(node("Concat", new String[] {pastK, "kh"}, new String[] {presentK},
                    OnnxProto.intAttribute("axis", 2)));
            nodes.add(node("Concat", new String[] {pastV, "vh"}, new String[] {presentV},
                    OnnxProto.intAttribute("axis", 2)));
        } else {
            presentK = "kh";
            presentV = "vh";
        }
        nodes.add(node("Transpose", new String[] {presentK}, new String[] {"kt"},
                OnnxProto.intsAttribute("perm", 0, 1, 3, 2)));
        nodes.add(node("MatMul", new String[] {"qh", "kt"}, new String[] {"raw_scores"}));
        nodes.add(node("Add", new String[] {"raw_scores", "mask_bias4"},
                new String[] {"scores"}));
        nodes.add(node("Softmax", new String[] {"scores"}, new String[] {"probs"},
                OnnxProto.intAttribute("axis", -1)));
        nodes.add(node("MatMul", new String[] {"probs", presentV}, new String[] {"ctx"}));
        nodes.add(node("Squeeze", new String[] {"ctx", "axis1"}, new String[] {"ctx2"}));
        nodes.add(node("Add", new String[] {"e", "ctx2"}, new String[] {"h"}));
        nodes.add(node("MatMul", new String[] {"h", "wout"}, new String[] {"raw"}));
        nodes.add(node("Add", new String[] {"raw", "bias"}, new String[] {"logits"}));
        if (stacked) {
            nodes.add(node("Unsqueeze", new String[] {presentK, "axis0"}, new String[] {"pk"}));
            nodes.add(node("Unsqueeze", new String[] {presentV, "axis0"}, new String[] {"pv"}));
            nodes.add(node("Concat", new String[] {"pk", "pv"}, new String[] {"present_0"},
                    OnnxProto.intAttribute("axis", 0)));
        }

        OnnxProto g = new OnnxProto();
        nodes.forEach(n -> g.message(1, n));
        g.string(2, "tiny-decoder");
        g.message(5, OnnxProto.floatTensor("embed", embed, VOCAB, dim));
        g.message(5, OnnxProto.floatTensor("wq", wq, dim, dim));
        g.message(5, OnnxProto.floatTensor("wk", wk, dim, dim));
        g.message(5, OnnxProto.floatTensor("wv", wv, dim, dim));
        g.message(5, OnnxProto.floatTensor("wout", out, dim, VOCAB));
        g.message(5, OnnxProto.floatTensor("bias", bias, VOCAB));
        g.message(5, OnnxProto.longTensor("axis1", new long[] {1}, 1));
        g.message(5, OnnxProto.floatTensor("pos_embed", positions, CONTEXT, dim));
        g.message(5, OnnxProto.floatTensor("one_f", new float[] {1}));
        g.message(5, OnnxProto.floatTensor("big_f", new float[] {10000}));
        g.message(5, OnnxProto.longTensor("axes12", new long[] {1, 2}, 2));
        if (stacked) {
            g.message(5, OnnxProto.longTensor("axis0", new long[] {0}, 1));
            g.message(5, OnnxProto.longTensor("zero", new long[] {0}));
            g.message(5, OnnxProto.longTensor("one", new long[] {1}));
        }
        int ids = stacked ? OnnxProto.INT32 : OnnxProto.INT64;
        g.message(11, OnnxProto.valueInfo("input_ids", ids, batch, "seq"));
        g.message(11, OnnxProto.valueInfo("attention_mask", ids, batch, "total"));
        g.message(11, OnnxProto.valueInfo("position_ids", ids, batch, "seq"));
        if (stacked) {
            g.message(11, OnnxProto.valueInfo("past_0", OnnxProto.FLOAT, 2, batch, 1, "past",
                    dim));
        } else if (cache) {
            g.message(11, OnnxProto.valueInfo(pastK, OnnxProto.FLOAT, batch, 1, "past", dim));
            g.message(11, OnnxProto.valueInfo(pastV, OnnxProto.FLOAT, batch, 1, "past", dim));
        }
        g.message(12, OnnxProto.valueInfo("logits", OnnxProto.FLOAT, batch, "seq", VOCAB));
        if (stacked) {
            g.message(12, OnnxProto.valueInfo("present_0", OnnxProto.FLOAT, 2, batch, 1,
                    "total", dim));
        } else if (cache) {
            g.message(12, OnnxProto.valueInfo(presentK, OnnxProto.FLOAT, batch, 1, "total",
                    dim));
            g.message(12, OnnxProto.valueInfo(presentV, OnnxProto.FLOAT, batch, 1, "total",
                    dim));
        }
        return g;
    }

    private static float[] fill(float[] values, Random random, float scale) {
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) random.nextGaussian() * scale;
        }
        return values;
    }

    private static String tokenizerJson() {
        StringBuilder vocab = new StringBuilder("\"<eos>\": 0, \"<unk>\": 1");
        for (int i = 0; i < WORDS.size(); i++) {
            vocab.append(", \"").append(WORDS.get(i)).append("\": ").append(i + 2);
        }
        return """
                {"version": "1.0", "truncation": null, "padding": null,
                 "added_tokens": [
                  {"id": 0, "content": "<eos>", "single_word": false, "lstrip": false,
                   "rstrip": false, "normalized": false, "special": true},
                  {"id": 1, "content": "<unk>", "single_word": false, "lstrip": false,
                   "rstrip": false, "normalized": false, "special": true}],
                 "normalizer": null, "pre_tokenizer": {"type": "WhitespaceSplit"},
                 "post_processor": null, "decoder": null,
                 "model": {"type": "WordLevel", "vocab": {%s}, "unk_token": "<unk>"}}
                """.formatted(vocab);
    }
}
