package dev.infer.openai;

import dev.infer.protocol.ErrorCode;
import dev.infer.server.HttpError;

/**
 * A failure answered with OpenAI's error object. Beyond {@link HttpError} it names the request
 * parameter at fault ({@code param}), which OpenAI's clients show next to the message.
 */
public class ApiException extends HttpError {
    private static final long serialVersionUID = 1L;
    private final String param;

    public ApiException(int status, ErrorCode code, String param, String message) {
        super(status, code, message);
        this.param = param;
    }

    /** A 400 for an invalid value of {@code param}. */
    public static ApiException invalid(String param, String message) {
        return new ApiException(400, ErrorCode.PARAM_OUT_OF_RANGE, param, message);
    }

    /** The request parameter at fault, or null. */
    public String param() {
        return param;
    }
}
