package dev.infer.protocol;

/**
 * A failure that maps onto one FastChat error code. The message is shown to the caller as it is,
 * so it must be one readable line that names the field or value at fault.
 */
public class ProtocolException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final ErrorCode code;

    public ProtocolException(ErrorCode code, String message) {
        super(message);
        this.code = code;
    }

    public ProtocolException(ErrorCode code, String message, Throwable cause) {
        super(message, cause);
        this.code = code;
    }

    public ErrorCode code() {
        return code;
    }

    public static ProtocolException invalid(String message) {
        return new ProtocolException(ErrorCode.VALIDATION, message);
    }
}
