package dev.infer.engine;

/** A failure in the engine; {@link #reason()} lets callers map it to a protocol error code. */
public class EngineException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** Coarse cause of the failure. */
    public enum Reason {
        /** The model folder is missing files or has files we cannot use. */
        BAD_MODEL,
        /** The request cannot be served by this model (wrong kind, bad token id). */
        INVALID_INPUT,
        /** Prompt plus {@code maxNewTokens} exceeds the context window. */
        CONTEXT_OVERFLOW,
        /** ONNX Runtime or the tokenizer failed while running. */
        RUNTIME,
        /** The engine is closed or closing. */
        CLOSED
    }

    private final Reason reason;

    public EngineException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public EngineException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
