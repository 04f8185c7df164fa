package dev.infer.protocol;

/** FastChat's error object, {@code {"text": reason, "error_code": n}}. */
public record ErrorBody(String text, int errorCode) {
    public static ErrorBody of(ErrorCode code, String text) {
        return new ErrorBody(text, code.code());
    }
}
