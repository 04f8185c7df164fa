package dev.infer.protocol;

import java.util.Arrays;
import java.util.Optional;

/** FastChat's error codes ({@code fastchat.constants.ErrorCode}) with the HTTP status we pair them with. */
public enum ErrorCode {
    VALIDATION(40001, 400),
    INVALID_AUTH_KEY(40101, 401),
    INCORRECT_AUTH_KEY(40102, 401),
    INVALID_MODEL(40301, 404),
    PARAM_OUT_OF_RANGE(40302, 400),
    CONTEXT_OVERFLOW(40303, 400),
    RATE_LIMIT(42901, 429),
    ENGINE_OVERLOADED(42903, 429),
    INTERNAL(50001, 500),
    CONTROLLER_NO_WORKER(50005, 503),
    CONTROLLER_WORKER_TIMEOUT(50006, 504);

    private final int code;
    private final int httpStatus;

    ErrorCode(int code, int httpStatus) {
        this.code = code;
        this.httpStatus = httpStatus;
    }

    /** The number FastChat puts in {@code error_code}. */
    public int code() {
        return code;
    }

    public int httpStatus() {
        return httpStatus;
    }

    /** The code with this number, if it is one of ours. */
    public static Optional<ErrorCode> of(int code) {
        return Arrays.stream(values()).filter(c -> c.code == code).findFirst();
    }
}
