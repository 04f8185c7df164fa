package dev.infer.engine;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A causal language model. With a {@link BatchScheduler} (when {@code maxBatchSize} is over 1 and
 * the export can batch), concurrent generations share forward passes; otherwise each runs on
 * its own thread with its own KV sequence, all sharing one session. Owns the session, its
 * options, the tokenizer and the scheduler.
 */
final class DecoderModel implements LoadedModel {
    private static final Logger log = LoggerFactory.getLogger(DecoderModel.class);

    private final ModelInfo info;
    private final OrtSession.SessionOptions sessionOptions;
    private final OrtSession session;
    private final TextTokenizer tokenizer;
    private final ChatTemplate template;
    private final DecoderStep step;
    private final Set<Long> eosIds;
    private final SamplingParams defaultSampling;
    private final ExecutorService executor;
    /** Null when generations run one sequence per forward pass. */
    private final BatchScheduler scheduler;
    private final Set<RunningGeneration> running = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    DecoderModel(ModelInfo info, OrtSession.SessionOptions sessionOptions, OrtSession session,
            TextTokenizer tokenizer, ChatTemplate template, DecoderStep step, Set<Long> eosIds,
            SamplingParams defaultSampling, ExecutorService executor, BatchScheduler scheduler) {
        this.info = info;
        this.sessionOptions = sessionOptions;
        this.session = session;
        this.tokenizer = tokenizer;
        this.template = template;
        this.step = step;
        this.eosIds = Set.copyOf(eosIds);
        this.defaultSampling = defaultSampling;
        this.executor = executor;
        this.scheduler = scheduler;
    }

    @Override
    public ModelInfo info() {
        return info;
    }

    @Override
    public SamplingParams defaultSampling() {
        return defaultSampling;
    }

    /** The ids that end a generation unless a request adds more. */
    Set<Long> eosIds() {
        return eosIds;
    }

    @Override
    public int countTokens(String text) {
        ensureOpen();
        return tokenizer.encode(text).length;
    }

    @Override
    public String renderChat(List<Message> messages) {
        ensureOpen();
        return template.render(messages);
    }

    @Override
    public Generation submit(GenerationRequest request, GenerationListener listener) {
        return submit(request, listener, step, scheduler);
    }

    /** As {@link #submit}, feeding the whole sequence each step whatever the model's cache. */
    Generation submitWithoutCache(GenerationRequest request, GenerationListener listener) {
        return submit(request, listener, step.withoutCache(), null);
    }

    /** As {@link #submit}, one sequence per forward pass even when the model batches. */
    Generation submitAlone(GenerationRequest request, GenerationListener listener) {
        return submit(request, listener, step, null);
    }

    private Generation submit(GenerationRequest request, GenerationListener listener,
            DecoderStep step, BatchScheduler batcher) {
        ensureOpen();
        long submitted = System.nanoTime();
        long[] prompt = tokenizer.encode(request.prompt());
        if (prompt.length == 0) {
            throw new EngineException(EngineException.Reason.INVALID_INPUT,
                    "the prompt is empty: it encodes to no tokens");
        }
        int wanted = prompt.length + request.maxNewTokens();
        if (wanted > info.contextLength()) {
            throw new EngineException(EngineException.Reason.CONTEXT_OVERFLOW, String.format(
                    "this model's maximum context length is %d tokens, but %d were requested "
                    + "(%d in the prompt, %d for max_new_tokens)", info.contextLength(), wanted,
                    prompt.length, request.maxNewTokens()));
        }
        for (int i = 0; i < prompt.length; i++) {
            if (prompt[i] < 0 || prompt[i] >= info.vocabSize()) {
                throw new EngineException(EngineException.Reason.INVALID_INPUT, "prompt token "
                        + i + " has id " + prompt[i] + ", outside the model's vocabulary of "
                        + info.vocabSize() + " ids");
            }
        }
        GenerationListener target = listener == null ? GenerationListener.NONE : listener;
        if (batcher != null) {
            RunningGeneration generation = RunningGeneration.inBatch();
            running.add(generation);
            generation.result().whenComplete((r, e) -> running.remove(generation));
            batcher.submit(new Decoding(tokenizer, eosIds, request, prompt, target, generation,
                    submitted));
            return generation;
        }
        RunningGeneration generation;
        try {
            generation = new RunningGeneration();
        } catch (OrtException e) {
            throw new EngineException(EngineException.Reason.RUNTIME,
                    "cannot create run options: " + e.getMessage(), e);
        }
        running.add(generation);
        GenerationLoop loop = new GenerationLoop(step, new Decoding(tokenizer, eosIds, request,
                prompt, target, generation, submitted));
        try {
            executor.execute(() -> {
                try {
                    loop.run();
                } finally {
                    generation.closeOptions();
                    running.remove(generation);
                }
            });
        } catch (RuntimeException e) {
            running.remove(generation);
            generation.closeOptions();
            throw new EngineException(EngineException.Reason.CLOSED, "the model is closing", e);
        }
        return generation;
    }

    /** The most sequences one batched step held since the last call; 1 without batching. */
    int takeLargestBatch() {
        return scheduler == null ? 1 : scheduler.takeLargestBatch();
    }

    @Override
    public Embeddings embed(List<String> texts, boolean truncate) {
        throw new EngineException(EngineException.Reason.INVALID_INPUT,
                info.name() + " is a text generation model and does not serve embeddings");
    }

    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        running.forEach(RunningGeneration::cancel);
        if (scheduler != null) {
            scheduler.close();
        }
        executor.shutdown();
        try {
            if (!executor.awaitTermination(30, TimeUnit.SECONDS)) {
                log.warn("model {}: generations still running after 30 s; closing anyway",
                        info.name());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Models.release(info.name(), session, sessionOptions, tokenizer);
    }

    private void ensureOpen() {
        if (closed) {
            throw new EngineException(EngineException.Reason.CLOSED,
                    "model " + info.name() + " is closed");
        }
    }

    /** The environment is a process-wide singleton that ONNX Runtime owns; never closed here. */
    static OrtEnvironment env() {
        return OrtEnvironment.getEnvironment();
    }
}
