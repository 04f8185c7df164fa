package dev.infer.engine;

import java.util.List;

/**
 * A model folder loaded into ONNX Runtime, with its tokenizer and chat template. Thread-safe: many
 * callers may submit at once. {@link #close()} cancels what is running and releases all native
 * memory; it is the one owner of every native object inside.
 */
public interface LoadedModel extends AutoCloseable {
    ModelInfo info();

    /** Tokens the prompt takes, as generation would count them (special tokens included). */
    int countTokens(String text);

    /**
     * Renders a conversation with the model's own chat template, ending with the prompt for the
     * assistant's turn. Models without a template get a plain {@code role: content} transcript.
     */
    String renderChat(List<Message> messages);

    /**
     * Starts a generation and returns at once. Checks the request first and throws
     * {@link EngineException} (for example {@link EngineException.Reason#CONTEXT_OVERFLOW}) without
     * starting anything when it cannot be served.
     */
    Generation submit(GenerationRequest request, GenerationListener listener);

    /**
     * The sampling the model's {@code generation_config.json} recommends, for requests that do
     * not say: greedy unless it sets {@code do_sample}.
     */
    default SamplingParams defaultSampling() {
        return SamplingParams.GREEDY;
    }

    /** Embeds texts (encoder models); {@code truncate} false refuses inputs over the window. */
    Embeddings embed(List<String> texts, boolean truncate);

    @Override
    void close();
}
