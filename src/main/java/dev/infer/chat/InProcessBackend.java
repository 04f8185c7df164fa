package dev.infer.chat;

import dev.infer.engine.EngineException;
import dev.infer.engine.FinishReason;
import dev.infer.engine.Generation;
import dev.infer.engine.GenerationRequest;
import dev.infer.engine.GenerationResult;
import dev.infer.engine.LoadedModel;
import dev.infer.engine.Message;
import dev.infer.engine.ModelInfo;
import dev.infer.engine.SamplingParams;
import dev.infer.protocol.ChatMessage;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * Answers with a model loaded in this process, no servers: the engine renders the model's chat
 * template and generates. Owns the model and closes it on {@link #close}.
 */
public final class InProcessBackend implements ChatBackend {
    /** The longest answer when the user sets no max_tokens, as the worker's default. */
    static final int DEFAULT_MAX_TOKENS = 256;

    /** Marks the end of the deltas; compared by identity. */
    @SuppressWarnings("StringOperationCanBeSimplified")
    private static final String END = new String("end of generation");

    private final LoadedModel model;
    private final String source;
    private final AtomicReference<Generation> current = new AtomicReference<>();

    /**
     * @param source where the model came from, for messages (its folder)
     */
    public InProcessBackend(LoadedModel model, String source) {
        this.model = model;
        this.source = source;
    }

    @Override
    public String describe() {
        return "in-process model " + source;
    }

    @Override
    public List<String> models() {
        return List.of(model.info().name());
    }

    @Override
    public Map<String, String> details(String name) {
        ModelInfo info = model.info();
        Map<String, String> d = new LinkedHashMap<>();
        d.put("backend", describe());
        d.put("kind", info.kind().name().toLowerCase(java.util.Locale.ROOT));
        d.put("context_length", Integer.toString(info.contextLength()));
        d.put("vocab_size", Integer.toString(info.vocabSize()));
        d.put("kv_cache", Boolean.toString(info.kvCache()));
        if (info.description() != null && !info.description().isBlank()) {
            d.put("description", info.description());
        }
        return d;
    }

    @Override
    public Answer chat(String name, List<ChatMessage> messages, ChatSettings settings,
            Consumer<String> onDelta) {
        List<Message> turns = messages.stream().map(m -> new Message(m.role(), m.content())).toList();
        GenerationRequest request;
        Generation generation;
        // The engine calls the listener on its own thread and must not be held up: deltas go
        // through a queue and are handed on here, on the caller's thread.
        LinkedBlockingQueue<String> deltas = new LinkedBlockingQueue<>();
        try {
            String prompt = model.renderChat(turns);
            request = new GenerationRequest(prompt, maxTokens(prompt, settings.maxTokens()),
                    new SamplingParams(settings.temperature(), settings.topP(), 0, 1, null),
                    List.of(), List.of(), false);
            generation = model.submit(request, (text, delta, tokens) -> deltas.add(delta));
        } catch (EngineException | IllegalArgumentException e) {
            throw new ChatException(model.info().name() + ": " + e.getMessage(), e);
        }
        current.set(generation);
        try {
            CompletableFuture<GenerationResult> result = generation.result();
            // The listener's deltas all come before the result completes; END marks that point.
            result.whenComplete((r, e) -> deltas.add(END));
            for (String delta = deltas.take(); delta != END; delta = deltas.take()) {
                if (!delta.isEmpty()) {
                    onDelta.accept(delta);
                }
            }
            GenerationResult r = result.get();
            String finish = r.finishReason() == FinishReason.CANCELLED ? Answer.CANCELLED
                    : r.finishReason().wireName();
            return new Answer(r.text(), model.info().name(), finish, r.promptTokens(),
                    r.completionTokens());
        } catch (ExecutionException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            throw new ChatException(model.info().name() + ": " + cause.getMessage(), cause);
        } catch (InterruptedException e) {
            generation.cancel();
            Thread.currentThread().interrupt();
            throw new ChatException("interrupted while answering", e);
        } finally {
            current.set(null);
        }
    }

    @Override
    public void cancel() {
        Generation g = current.get();
        if (g != null) {
            g.cancel();
        }
    }

    @Override
    public void close() {
        model.close();
    }

    /** Without a limit from the user, what the context window leaves, up to a sensible cap. */
    private int maxTokens(String prompt, Integer requested) {
        if (requested != null) {
            return requested;
        }
        int left = model.info().contextLength() - model.countTokens(prompt);
        return Math.max(1, Math.min(DEFAULT_MAX_TOKENS, left));
    }
}
