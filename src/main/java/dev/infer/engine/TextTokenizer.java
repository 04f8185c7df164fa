package dev.infer.engine;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.OptionalLong;

/**
 * A {@code tokenizer.json} through DJL's Hugging Face tokenizers binding, kept offline. Owns the
 * native tokenizer; thread-safe (the Rust tokenizer is immutable once built).
 */
final class TextTokenizer implements AutoCloseable {
    static {
        // DJL probes the network (telemetry, library downloads) unless told it is offline. The
        // tokenizers jar bundles its native library, so nothing needs to be fetched.
        if (System.getProperty("ai.djl.offline") == null) {
            System.setProperty("ai.djl.offline", "true");
        }
    }

    private final HuggingFaceTokenizer tokenizer;
    /** The BOS token's text; a prompt that already starts with it gets no second one. */
    private final String bosText;

    private TextTokenizer(HuggingFaceTokenizer tokenizer, String bosText) {
        this.tokenizer = tokenizer;
        this.bosText = bosText;
    }

    static TextTokenizer open(Path tokenizerJson, String bosText) {
        try {
            // Truncation and padding off: the engine checks lengths against the context window
            // itself and reports them, rather than silently cutting a prompt.
            return new TextTokenizer(HuggingFaceTokenizer.newInstance(tokenizerJson, Map.of(
                    "addSpecialTokens", "true", "truncation", "false", "padding", "false")),
                    bosText == null ? "" : bosText);
        } catch (IOException | RuntimeException e) {
            throw new EngineException(EngineException.Reason.BAD_MODEL,
                    "cannot load " + tokenizerJson + ": " + e.getMessage(), e);
        }
    }

    /**
     * Token ids as the model sees them: with the tokenizer's special tokens (Llama's BOS), except
     * that a prompt rendered by a chat template that already starts with BOS gets no second one
     * (as Hugging Face's {@code apply_chat_template} does).
     */
    long[] encode(String text) {
        return encoding(text).getIds();
    }

    Encoding encoding(String text) {
        boolean special = bosText.isEmpty() || !text.startsWith(bosText);
        return tokenizer.encode(text, special, false);
    }

    /** Text for ids, special tokens left out. */
    String decode(long[] ids) {
        return tokenizer.decode(ids, true);
    }

    /** The id of a token given by its text, if the vocabulary has exactly that one token. */
    OptionalLong tokenId(String tokenText) {
        if (tokenText == null || tokenText.isEmpty()) {
            return OptionalLong.empty();
        }
        long[] ids = tokenizer.encode(tokenText, false, false).getIds();
        return ids.length == 1 ? OptionalLong.of(ids[0]) : OptionalLong.empty();
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}
