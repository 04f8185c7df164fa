package dev.infer.server;

import dev.infer.protocol.ErrorBody;
import dev.infer.protocol.ErrorCode;

/** Turns a failure into the response body a server's clients expect. */
@FunctionalInterface
public interface ErrorRenderer {
    /** The body for {@code status} with FastChat's {@code code} and a one-line {@code message}. */
    Object render(int status, ErrorCode code, String message);

    /** FastChat's {@code {"text", "error_code"}} object, used by controller and worker. */
    ErrorRenderer FASTCHAT = (status, code, message) -> ErrorBody.of(code, message);
}
