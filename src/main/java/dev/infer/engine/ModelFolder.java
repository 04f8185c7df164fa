package dev.infer.engine;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The files of a model folder as exported by Hugging Face Optimum or the ONNX Runtime GenAI model
 * builder, and the facts their JSON configs hold. Reads files only; owns nothing native.
 */
final class ModelFolder {
    private static final ObjectMapper JSON = new ObjectMapper();

    final Path dir;
    final Path onnxFile;
    final Path tokenizerFile;
    /** {@code config.json}, or a missing node. */
    final JsonNode config;
    /** {@code generation_config.json}, or a missing node. */
    final JsonNode generationConfig;
    /** {@code genai_config.json}'s {@code model} object, or a missing node. */
    final JsonNode genai;
    /** {@code tokenizer_config.json}, or a missing node. */
    final JsonNode tokenizerConfig;
    /** {@code tokenizer.json}'s truncation section, or a missing node. */
    final JsonNode tokenizerTruncation;

    private ModelFolder(Path dir, Path onnxFile, Path tokenizerFile) {
        this.dir = dir;
        this.onnxFile = onnxFile;
        this.tokenizerFile = tokenizerFile;
        this.config = readJson(dir.resolve("config.json"));
        this.generationConfig = readJson(dir.resolve("generation_config.json"));
        this.genai = readJson(dir.resolve("genai_config.json")).path("model");
        this.tokenizerConfig = readJson(dir.resolve("tokenizer_config.json"));
        this.tokenizerTruncation = readJson(tokenizerFile).path("truncation");
    }

    /** Finds the ONNX file and the tokenizer, or throws BAD_MODEL naming what is missing. */
    static ModelFolder open(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw bad(dir + ": not a folder");
        }
        List<Path> candidates = new ArrayList<>();
        JsonNode genai = readJson(dir.resolve("genai_config.json")).path("model");
        String named = genai.path("decoder").path("filename").asText("");
        if (!named.isEmpty()) {
            candidates.add(dir.resolve(named));
        }
        candidates.add(dir.resolve("model.onnx"));
        candidates.add(dir.resolve("onnx").resolve("model.onnx"));
        candidates.add(dir.resolve("decoder_model_merged.onnx"));
        candidates.add(dir.resolve("onnx").resolve("decoder_model_merged.onnx"));
        Path onnx = candidates.stream().filter(Files::isRegularFile).findFirst().orElseThrow(() ->
                bad("no model.onnx in " + dir + " or " + dir.resolve("onnx")
                        + (named.isEmpty() ? "" : " (genai_config.json names " + named + ")")));
        Path tokenizer = dir.resolve("tokenizer.json");
        if (!Files.isRegularFile(tokenizer)) {
            tokenizer = onnx.getParent().resolve("tokenizer.json");
        }
        if (!Files.isRegularFile(tokenizer)) {
            throw bad("no tokenizer.json in " + dir);
        }
        return new ModelFolder(dir, onnx, tokenizer);
    }

    /** The chat template: {@code chat_template.jinja}, else {@code tokenizer_config.json}'s. */
    Optional<String> chatTemplate() {
        Path jinja = dir.resolve("chat_template.jinja");
        try {
            if (Files.isRegularFile(jinja)) {
                return Optional.of(Files.readString(jinja));
            }
        } catch (IOException e) {
            throw new EngineException(EngineException.Reason.BAD_MODEL,
                    "cannot read " + jinja + ": " + e.getMessage(), e);
        }
        JsonNode t = tokenizerConfig.path("chat_template");
        if (t.isTextual()) {
            return Optional.of(t.asText());
        }
        // A list of named templates: take the default one.
        for (JsonNode named : t) {
            if ("default".equals(named.path("name").asText())) {
                return Optional.of(named.path("template").asText());
            }
        }
        return Optional.empty();
    }

    /** A special token's text from {@code tokenizer_config.json} ("bos_token", "eos_token"). */
    String specialToken(String key) {
        JsonNode n = tokenizerConfig.path(key);
        return n.isTextual() ? n.asText() : n.path("content").asText("");
    }

    /** The first positive integer found under these keys of config, genai then tokenizer config. */
    int contextLength(int fallback) {
        for (JsonNode n : List.of(genai.path("context_length"),
                config.path("max_position_embeddings"), config.path("n_positions"),
                config.path("n_ctx"), tokenizerTruncation.path("max_length"),
                tokenizerConfig.path("model_max_length"))) {
            // model_max_length is a huge sentinel (1e30) when the tokenizer has no limit.
            if (n.canConvertToLong() && n.asLong() > 0 && n.asLong() < 10_000_000) {
                return (int) n.asLong();
            }
        }
        return fallback;
    }

    /** generation_config.json's sampling, greedy unless it sets {@code do_sample}. */
    SamplingParams defaultSampling() {
        JsonNode g = generationConfig;
        if (!g.path("do_sample").asBoolean(false)) {
            return SamplingParams.GREEDY;
        }
        try {
            return new SamplingParams(g.path("temperature").asDouble(1.0),
                    g.path("top_p").asDouble(1.0), g.path("top_k").asInt(0),
                    g.path("repetition_penalty").asDouble(1.0), null);
        } catch (IllegalArgumentException e) {
            throw new EngineException(EngineException.Reason.BAD_MODEL,
                    "generation_config.json: " + e.getMessage(), e);
        }
    }

    int vocabSize() {
        JsonNode n = config.path("vocab_size");
        return n.canConvertToInt() ? n.asInt() : genai.path("vocab_size").asInt(0);
    }

    /**
     * The ids in one of the config's {@code eos_token_id} fields (an int or a list), in order:
     * generation config, then config.json; genai_config.json is the caller's last resort.
     */
    static Set<Long> ids(JsonNode n) {
        Set<Long> ids = new LinkedHashSet<>();
        if (n.canConvertToLong()) {
            ids.add(n.asLong());
        } else if (n.isArray()) {
            n.forEach(e -> ids.add(e.asLong()));
        }
        return ids;
    }

    private static JsonNode readJson(Path file) {
        if (!Files.isRegularFile(file)) {
            return MissingNode.getInstance();
        }
        try {
            return JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new EngineException(EngineException.Reason.BAD_MODEL,
                    file + " is not valid JSON: " + e.getMessage(), e);
        }
    }

    private static EngineException bad(String message) {
        return new EngineException(EngineException.Reason.BAD_MODEL, message);
    }
}
