package dev.infer.server;

import dev.infer.protocol.ErrorCode;
import dev.infer.protocol.ProtocolException;

/**
 * A request failure with the HTTP status and FastChat error code to answer with. Handlers throw
 * it (or a {@link ProtocolException}); {@link HttpServer}'s one exception mapper writes it.
 */
public class HttpError extends ProtocolException {
    private static final long serialVersionUID = 1L;
    private final int status;

    public HttpError(int status, ErrorCode code, String message) {
        super(code, message);
        this.status = status;
    }

    public HttpError(ErrorCode code, String message) {
        this(code.httpStatus(), code, message);
    }

    public int status() {
        return status;
    }
}
