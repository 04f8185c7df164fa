package dev.infer.protocol;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.type.LogicalType;
import java.util.stream.Collectors;

/**
 * The one JSON configuration of the wire protocol: snake_case names, nulls left out, unknown fields
 * ignored (FastChat clients send more than we read), and strict types, so that {@code
 * "temperature": "hot"} is an error rather than a silent coercion.
 */
public final class Json {
    /** Deepest nesting a request may have; deeper documents are refused before binding. */
    public static final int MAX_NESTING_DEPTH = 64;

    private static final ObjectMapper MAPPER = create();

    private Json() {}

    /** The shared, thread-safe mapper. */
    public static ObjectMapper mapper() {
        return MAPPER;
    }

    private static ObjectMapper create() {
        JsonMapper mapper = JsonMapper.builder()
                .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
                .serializationInclusion(JsonInclude.Include.NON_NULL)
                .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
                .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
                .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
                .disable(JsonParser.Feature.AUTO_CLOSE_SOURCE)
                .build();
        mapper.getFactory().setStreamReadConstraints(StreamReadConstraints.builder()
                .maxNestingDepth(MAX_NESTING_DEPTH)
                .build());
        for (LogicalType type : new LogicalType[] {
                LogicalType.Integer, LogicalType.Float, LogicalType.Boolean}) {
            mapper.coercionConfigFor(type).setCoercion(CoercionInputShape.String, CoercionAction.Fail);
        }
        mapper.coercionConfigFor(LogicalType.Textual)
                .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail);
        return mapper;
    }

    /** Serialises to a JSON string; our own records always serialise. */
    public static String write(Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise " + value.getClass().getSimpleName(), e);
        }
    }

    /**
     * Reads a request body into {@code type}, turning every Jackson failure into a validation error
     * whose one-line message names the field and what was wrong with it.
     */
    public static <T> T read(byte[] body, Class<T> type) {
        if (body == null || body.length == 0) {
            throw ProtocolException.invalid("request body is empty; expected a JSON object");
        }
        try {
            T value = MAPPER.readValue(body, type);
            if (value == null) {
                throw ProtocolException.invalid("request body is null; expected a JSON object");
            }
            return value;
        } catch (JsonProcessingException e) {
            throw ProtocolException.invalid(describe(e, body));
        } catch (java.io.IOException e) {
            throw ProtocolException.invalid("cannot read request body: " + e.getMessage());
        }
    }

    /** A one-line, trace-free description of a Jackson failure, naming the field path. */
    public static String describe(JsonProcessingException e) {
        String field = field(e);
        String reason = e.getOriginalMessage();
        if (reason == null) {
            reason = e.getClass().getSimpleName();
        }

        // Jackson's messages carry a source excerpt and hints after a newline; keep the first line.
        int newline = reason.indexOf('\n');
        if (newline >= 0) {
            reason = reason.substring(0, newline);
        }
        if (reason.length() > 200) {
            reason = reason.substring(0, 200) + "...";
        }
        if (e instanceof com.fasterxml.jackson.core.JsonParseException
                || e instanceof com.fasterxml.jackson.core.exc.StreamReadException
                        && !(e instanceof JsonMappingException)) {
            return "malformed JSON: " + reason;
        }
        return field.isEmpty() ? "invalid request: " + reason : "invalid field '" + field + "': " + reason;
    }

    /**
     * As {@link #describe(JsonProcessingException)}, but a value of the wrong JSON type is said in
     * JSON's words, looked up in {@code body} ("expected a number, got a string (\"hot\")"),
     * instead of Jackson's, which name Java classes and coercion settings.
     */
    public static String describe(JsonProcessingException e, byte[] body) {
        String got = e instanceof MismatchedInputException m && m.getTargetType() != null
                && String.valueOf(m.getOriginalMessage()).startsWith("Cannot ")
                ? kindOf(valueAt(body, m)) : null;
        if (got == null) {
            return describe(e);
        }
        String field = field(e);
        return (field.isEmpty() ? "invalid request: " : "invalid field '" + field + "': ")
                + "expected " + kind(((MismatchedInputException) e).getTargetType()) + ", got "
                + got;
    }

    private static String field(JsonProcessingException e) {
        if (!(e instanceof JsonMappingException m) || m.getPath().isEmpty()) {
            return "";
        }
        return m.getPath().stream()
                .map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]")
                .collect(Collectors.joining(".")).replace(".[", "[");
    }

    /** The value the failure's path points at in {@code body}, or null. */
    private static JsonNode valueAt(byte[] body, JsonMappingException e) {
        JsonNode node;
        try {
            node = MAPPER.readTree(body);
        } catch (java.io.IOException | RuntimeException unreadable) {
            return null;
        }
        for (JsonMappingException.Reference r : e.getPath()) {
            if (node == null) {
                return null;
            }
            node = r.getFieldName() != null ? node.get(r.getFieldName()) : node.get(r.getIndex());
        }
        return node;
    }

    private static String kindOf(JsonNode value) {
        if (value == null) {
            return null;
        }
        return switch (value.getNodeType()) {
            case ARRAY -> "an array";
            case OBJECT, POJO -> "an object";
            case STRING -> "a string (\"" + shortened(value.asText()) + "\")";
            case NUMBER -> (value.isIntegralNumber() ? "an integer (" : "a decimal number (")
                    + shortened(value.asText()) + ")";
            case BOOLEAN -> "a boolean";
            case NULL -> "null";
            default -> null;
        };
    }

    private static String shortened(String text) {
        return text.length() > 40 ? text.substring(0, 40) + "..." : text;
    }

    /** A Java target type in JSON's words. */
    private static String kind(Class<?> type) {
        if (type.isArray() || java.util.Collection.class.isAssignableFrom(type)) {
            return "an array";
        }
        if (CharSequence.class.isAssignableFrom(type) || type.isEnum()) {
            return "a string";
        }
        if (type == Integer.class || type == int.class || type == Long.class || type == long.class
                || type == Short.class || type == short.class
                || type == java.math.BigInteger.class) {
            return "an integer";
        }
        if (Number.class.isAssignableFrom(type) || type == double.class || type == float.class) {
            return "a number";
        }
        if (type == Boolean.class || type == boolean.class) {
            return "true or false";
        }
        return "an object";
    }
}
