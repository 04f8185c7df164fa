package dev.infer.engine;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtLoggingLevel;
import ai.onnxruntime.OrtSession;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Loads model folders into ONNX Runtime: the engine's entry point. */
public final class Models {
    private static final Logger log = LoggerFactory.getLogger(Models.class);
    private static final int DEFAULT_CONTEXT = 2048;

    private Models() {}

    /**
     * Loads a model folder (see DESIGN.md, "Models"): a decoder for text generation, or an
     * encoder for embeddings. Blocks while ONNX Runtime builds the session.
     *
     * @throws EngineException {@link EngineException.Reason#BAD_MODEL} with a one-line reason
     *     naming the folder when files are missing or unusable
     */
    public static LoadedModel load(Path dir, ModelOptions options) {
        return load(dir, options, true);
    }

    /** As {@link #load(Path, ModelOptions)}; {@code useKvCache} false feeds the whole sequence. */
    static LoadedModel load(Path dir, ModelOptions options, boolean useKvCache) {
        long start = System.nanoTime();
        ModelFolder folder = ModelFolder.open(dir);
        String name = options.name() != null ? options.name()
                : dir.toAbsolutePath().normalize().getFileName().toString();
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        OrtSession.SessionOptions sessionOptions = null;
        OrtSession session = null;
        TextTokenizer tokenizer = null;
        try {
            sessionOptions = new OrtSession.SessionOptions();
            if (options.threads() > 0) {
                sessionOptions.setIntraOpNumThreads(options.threads());
            }
            sessionOptions.setInterOpNumThreads(1);
            // ONNX Runtime's pool threads otherwise spin between calls, taking CPU from the
            // HTTP, text and batch threads beside them (and from an API server or controller
            // on the same machine): on 2 cores, 64 tokens of the tiny Llama took 34 ms spinning,
            // 21 ms without (see the commit that added this line).
            sessionOptions.addConfigEntry("session.intra_op.allow_spinning", "0");
            // ONNX Runtime's own warnings (unused initializers and the like) would go to stderr.
            sessionOptions.setSessionLogLevel(OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR);
            // From the file path, so ONNX Runtime finds external data (model.onnx.data) beside it.
            session = env.createSession(folder.onnxFile.toString(), sessionOptions);
            tokenizer = TextTokenizer.open(folder.tokenizerFile, folder.specialToken("bos_token"));
            LoadedModel model = session.getOutputNames().contains(logitsName(folder))
                    ? decoder(folder, name, options, sessionOptions, session, tokenizer, env,
                            useKvCache)
                    : encoder(folder, name, sessionOptions, session, tokenizer);
            ModelInfo info = model.info();
            log.info("loaded model {} from {} in {} ms: {}", name, dir,
                    (System.nanoTime() - start) / 1_000_000, info.description());
            return model;
        } catch (OrtException | RuntimeException e) {
            if (tokenizer != null) {
                tokenizer.close();
            }
            closeQuietly(session);
            if (sessionOptions != null) {
                sessionOptions.close();
            }
            if (e instanceof EngineException ee) {
                throw new EngineException(ee.reason(), dir + ": " + ee.getMessage(), ee);
            }
            throw new EngineException(EngineException.Reason.BAD_MODEL,
                    dir + ": ONNX Runtime cannot load " + folder.onnxFile.getFileName() + ": "
                            + firstLine(e.getMessage()), e);
        }
    }

    private static LoadedModel decoder(ModelFolder folder, String name, ModelOptions options,
            OrtSession.SessionOptions sessionOptions, OrtSession session, TextTokenizer tokenizer,
            OrtEnvironment env, boolean useKvCache) throws OrtException {
        JsonNode decoder = folder.genai.path("decoder");
        int kvHeads = decoder.path("num_key_value_heads").asInt(
                folder.config.path("num_key_value_heads").asInt(
                        folder.config.path("num_attention_heads").asInt(0)));
        int headDim = decoder.path("head_size").asInt(folder.config.path("head_dim").asInt(0));
        DecoderIo io = new DecoderIo(session, folder.genai, kvHeads, headDim);
        int vocab = io.logitsVocab > 0 ? io.logitsVocab : folder.vocabSize();
        if (vocab <= 0) {
            throw new EngineException(EngineException.Reason.BAD_MODEL,
                    "neither the logits shape nor config.json gives the vocabulary size");
        }
        DecoderStep step = new DecoderStep(env, session, io, useKvCache);
        int context = folder.contextLength(DEFAULT_CONTEXT);
        Set<Long> eos = eosIds(folder, tokenizer, vocab);
        int batchSize = options.maxBatchSize();
        if (batchSize > 1 && (!step.usesCache() || io.cannotBatch != null)) {
            log.info("model {}: decoding one sequence per step, not in batches: {}", name,
                    step.usesCache() ? io.cannotBatch : "its KV cache is not in use");
            batchSize = 1;
        }
        String description = String.format("decoder, %s logits, %d KV tensors (%s), %d-token "
                + "context, vocabulary %d, EOS %s, %s", io.logitsType, io.kv.size(),
                step.usesCache() ? "cache on" : "whole sequence each step", context, vocab, eos,
                batchSize > 1 ? "batches of up to " + batchSize + " sequences and "
                        + options.maxBatchTokens() + " prefill tokens" : "no batching");
        ModelInfo info = new ModelInfo(name, ModelKind.DECODER, context, vocab, step.usesCache(),
                batchSize, description);
        ChatTemplate template = new ChatTemplate(folder.chatTemplate().orElse(null),
                folder.specialToken("bos_token"), folder.specialToken("eos_token"));
        BatchScheduler scheduler = batchSize > 1 ? new BatchScheduler(name,
                new BatchedStep(env, session, io, vocab, io.logitsWidth), io.kv, batchSize,
                options.maxBatchTokens()) : null;
        return new DecoderModel(info, sessionOptions, session, tokenizer, template, step, eos,
                folder.defaultSampling(), Executors.newCachedThreadPool(threads(name)),
                scheduler);
    }

    private static LoadedModel encoder(ModelFolder folder, String name,
            OrtSession.SessionOptions sessionOptions, OrtSession session,
            TextTokenizer tokenizer) {
        int window = folder.contextLength(512);
        ModelInfo info = new ModelInfo(name, ModelKind.ENCODER, window, folder.vocabSize(), false,
                1, "encoder (mean-pooled embeddings), " + window + "-token window");
        return new EncoderModel(info, sessionOptions, session, tokenizer);
    }

    /**
     * EOS ids: generation_config.json, then the tokenizer's eos_token (when the model's
     * vocabulary holds it), then config.json, then genai_config.json. The tiny GPT-2 test model
     * is why the vocabulary check exists: its tokenizer's EOS (50256) is beyond its 1000 logits.
     */
    private static Set<Long> eosIds(ModelFolder folder, TextTokenizer tokenizer, int vocab) {
        Set<Long> ids = ModelFolder.ids(folder.generationConfig.path("eos_token_id"));
        if (ids.isEmpty()) {
            tokenizer.tokenId(folder.specialToken("eos_token"))
                    .ifPresent(id -> ids.add(id));
            ids.removeIf(id -> id >= vocab);
        }
        if (ids.isEmpty()) {
            ids.addAll(ModelFolder.ids(folder.config.path("eos_token_id")));
        }
        if (ids.isEmpty()) {
            ids.addAll(ModelFolder.ids(folder.genai.path("eos_token_id")));
        }
        return new LinkedHashSet<>(ids);
    }

    private static String logitsName(ModelFolder folder) {
        return folder.genai.path("decoder").path("outputs").path("logits").asText("logits");
    }

    private static ThreadFactory threads(String model) {
        AtomicInteger count = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, "infer-generate-" + model + "-" + count.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    private static void closeQuietly(OrtSession session) {
        if (session != null) {
            try {
                session.close();
            } catch (OrtException e) {
                log.debug("closing a half-loaded session failed", e);
            }
        }
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "unknown error";
        }
        int nl = message.indexOf('\n');
        return nl < 0 ? message : message.substring(0, nl);
    }

    /**
     * Releases what a loaded model owns natively, in order: the session, then the options it was
     * built from (which must outlive it), then the tokenizer. Logs, never throws: it runs on close.
     */
    static void release(String name, ai.onnxruntime.OrtSession session,
            ai.onnxruntime.OrtSession.SessionOptions options, TextTokenizer tokenizer) {
        try {
            session.close();
        } catch (ai.onnxruntime.OrtException e) {
            log.warn("model {}: closing the session failed: {}", name, e.getMessage());
        }
        options.close();
        tokenizer.close();
        log.info("model {} closed", name);
    }
}
