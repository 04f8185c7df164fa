package dev.infer.chat;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * How answers are generated: sampling, the token limit, the system prompt and the model to ask.
 * Immutable; {@link #with} checks a new value and says clearly what is wrong with a bad one.
 *
 * @param maxTokens the most tokens an answer may take, or null to let the model's context decide
 *     (the worker then allows what is left of the window after the prompt, up to its default)
 * @param model the model to ask, or null for the backend's only (or first) model
 * @param system the system prompt, or null for none
 */
public record ChatSettings(
        double temperature, double topP, Integer maxTokens, String system, String model) {
    /** The keys {@code /set} accepts, in the order {@code /show} lists them. */
    public static final List<String> KEYS = List.of("temperature", "top_p", "max_tokens");

    public static final double MAX_TEMPERATURE = 2.0;

    public ChatSettings {
        checkTemperature(temperature);
        checkTopP(topP);
        if (maxTokens != null) {
            checkMaxTokens(maxTokens);
        }
        system = system == null || system.isBlank() ? null : system;
        model = model == null || model.isBlank() ? null : model;
    }

    public static ChatSettings defaults() {
        return new ChatSettings(0.7, 1.0, null, null, null);
    }

    /**
     * A copy with {@code key} set to {@code value} as typed by the user ({@code /set top_p 0.9}).
     *
     * @throws IllegalArgumentException with a one-line reason naming the key and the valid range
     */
    public ChatSettings with(String key, String value) {
        String k = key.toLowerCase(Locale.ROOT).replace('-', '_');
        return switch (k) {
            case "temperature" -> withTemperature(parseDouble(k, value));
            case "top_p" -> withTopP(parseDouble(k, value));
            case "max_tokens" -> withMaxTokens(parseInt(k, value));
            default -> throw new IllegalArgumentException(
                    "unknown setting '" + key + "'; one of " + String.join(", ", KEYS));
        };
    }

    public ChatSettings withTemperature(double value) {
        return new ChatSettings(value, topP, maxTokens, system, model);
    }

    public ChatSettings withTopP(double value) {
        return new ChatSettings(temperature, value, maxTokens, system, model);
    }

    public ChatSettings withMaxTokens(int value) {
        return new ChatSettings(temperature, topP, value, system, model);
    }

    public ChatSettings withSystem(String value) {
        return new ChatSettings(temperature, topP, maxTokens, value, model);
    }

    public ChatSettings withModel(String value) {
        return new ChatSettings(temperature, topP, maxTokens, system, value);
    }

    /** The settings as {@code /show} prints them, in a stable order. */
    public Map<String, String> describe() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("temperature", Double.toString(temperature));
        m.put("top_p", Double.toString(topP));
        m.put("max_tokens", maxTokens == null ? "(what the context leaves)" : maxTokens.toString());
        m.put("system", system == null ? "(none)" : system);
        return m;
    }

    static void checkTemperature(double v) {
        if (!(v >= 0 && v <= MAX_TEMPERATURE)) {
            throw new IllegalArgumentException(
                    "temperature must be between 0 and " + MAX_TEMPERATURE + ", got " + v);
        }
    }

    static void checkTopP(double v) {
        if (!(v > 0 && v <= 1)) {
            throw new IllegalArgumentException("top_p must be greater than 0 and at most 1, got " + v);
        }
    }

    static void checkMaxTokens(int v) {
        if (v < 1) {
            throw new IllegalArgumentException("max_tokens must be at least 1, got " + v);
        }
    }

    private static double parseDouble(String key, String value) {
        try {
            double d = Double.parseDouble(value.strip());
            if (Double.isFinite(d)) {
                return d;
            }
        } catch (NumberFormatException e) {
            // fall through to the message below
        }
        throw new IllegalArgumentException(key + " must be a number, got '" + value.strip() + "'");
    }

    private static int parseInt(String key, String value) {
        try {
            return Integer.parseInt(value.strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(
                    key + " must be a whole number, got '" + value.strip() + "'", e);
        }
    }
}
