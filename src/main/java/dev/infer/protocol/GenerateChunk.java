package dev.infer.protocol;

/**
 * One object of a generate stream. As in FastChat, {@code text} is the whole output so far, not a
 * delta; {@code finish_reason} is null until the last chunk ({@code "stop"}, {@code "length"} or
 * {@code "error"}). A non-zero {@code error_code} ends the stream, and {@code text} then holds the
 * reason.
 */
public record GenerateChunk(String text, int errorCode, Usage usage, String finishReason) {
    public static GenerateChunk error(ErrorCode code, String reason) {
        return new GenerateChunk(reason, code.code(), null, null);
    }

    public boolean isError() {
        return errorCode != 0;
    }
}
