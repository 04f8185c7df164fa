package dev.infer.openai;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.infer.protocol.ErrorCode;
import dev.infer.server.ErrorRenderer;

/**
 * OpenAI's error object, {@code {"error": {"message", "type", "param", "code"}}}. {@code param}
 * and {@code code} are written as null when absent, as OpenAI does. {@code code} is one of
 * OpenAI's own strings where one fits ({@code invalid_api_key}, {@code model_not_found},
 * {@code context_length_exceeded}, {@code rate_limit_exceeded}), otherwise a short name of our
 * FastChat code; the FastChat number itself is not sent because OpenAI's clients expect a string.
 */
public record OpenAiError(Body error) {

    /** The inner object. */
    public record Body(
            String message,
            String type,
            @JsonInclude(JsonInclude.Include.ALWAYS) String param,
            @JsonInclude(JsonInclude.Include.ALWAYS) String code) {}

    /** Renders every failure the shared server maps (404 route, 413 body, 500) in this shape. */
    public static final ErrorRenderer RENDERER = (status, code, message) -> of(status, code, null,
            message);

    public static OpenAiError of(int status, ErrorCode code, String param, String message) {
        return new OpenAiError(new Body(message, type(status), param, code(code)));
    }

    /** OpenAI's {@code type} for an HTTP status. */
    static String type(int status) {
        if (status == 401) {
            return "authentication_error";
        }
        if (status == 404) {
            return "not_found_error";
        }
        if (status == 429) {
            return "rate_limit_error";
        }
        return status < 500 ? "invalid_request_error" : "server_error";
    }

    static String code(ErrorCode code) {
        if (code == null) {
            return null;
        }
        return switch (code) {
            case VALIDATION, PARAM_OUT_OF_RANGE -> "invalid_value";
            case INVALID_AUTH_KEY, INCORRECT_AUTH_KEY -> "invalid_api_key";
            case INVALID_MODEL -> "model_not_found";
            case CONTEXT_OVERFLOW -> "context_length_exceeded";
            case RATE_LIMIT -> "rate_limit_exceeded";
            case ENGINE_OVERLOADED -> "engine_overloaded";
            case INTERNAL -> "internal_error";
            case CONTROLLER_NO_WORKER -> "no_worker";
            case CONTROLLER_WORKER_TIMEOUT -> "worker_timeout";
        };
    }
}
