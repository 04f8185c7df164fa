package dev.infer.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.infer.protocol.Json;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Seeded generator of malformed and extreme request bodies, derived from valid templates: wrong
 * types, NaN and Infinity, huge and negative numbers, unknown fields, huge strings, deep nesting,
 * invalid UTF-8, truncated and non-object JSON, control characters, duplicate keys. Request
 * {@code i} of seed {@code s} depends on nothing else, so a failure reproduces from its index.
 */
public final class HostileInput {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;
    private static final String RAW = "__raw_token__";

    /** A request to send: where, what, and which kind of mutation made it (for messages). */
    public record Request(String path, byte[] body, String kind) {}

    /** A valid request for an endpoint, the starting point of the mutations. */
    public record Template(String path, String json) {}

    private final long seed;
    private final List<Template> templates;
    private final int hugeStringMax;

    /**
     * @param hugeStringMax the longest string a "huge string" mutation makes (bytes)
     */
    public HostileInput(long seed, List<Template> templates, int hugeStringMax) {
        this.seed = seed;
        this.templates = List.copyOf(templates);
        this.hugeStringMax = hugeStringMax;
    }

    /** Request number {@code i}. */
    public Request request(int i) {
        SplittableRandom r = new SplittableRandom(seed * 1_000_003L + i);
        Template t = templates.get(r.nextInt(templates.size()));
        int dice = r.nextInt(100);
        try {
            if (dice < 8) {
                return new Request(t.path(), bytes(t.json()), "valid");
            } else if (dice < 30) {
                return mutateField(t, r, randomValue(r), "wrong-type");
            } else if (dice < 36) {
                String token = List.of("NaN", "Infinity", "-Infinity", "1e99999", "-0",
                        "01", "0x10", "1.", ".5").get(r.nextInt(9));
                return mutateField(t, r, F.textNode(RAW), "raw-number:" + token, token);
            } else if (dice < 46) {
                return mutateField(t, r, extremeNumber(r), "extreme-number");
            } else if (dice < 51) {
                ObjectNode o = (ObjectNode) Json.mapper().readTree(t.json());
                for (int k = 0; k < 1 + r.nextInt(5); k++) {
                    o.set("unknown_" + r.nextInt(1000), randomValue(r));
                }
                return new Request(t.path(), bytes(o.toString()), "unknown-fields");
            } else if (dice < 56) {
                int n = r.nextInt(10) == 0 ? hugeStringMax : 1 + r.nextInt(Math.max(1,
                        hugeStringMax / 16));
                return mutateField(t, r, F.textNode(randomText(r, n)), "huge-string");
            } else if (dice < 61) {
                return new Request(t.path(), deep(r), "deep-nesting");
            } else if (dice < 67) {
                return invalidUtf8(t, r);
            } else if (dice < 77) {
                byte[] b = bytes(t.json());
                return new Request(t.path(), java.util.Arrays.copyOf(b, r.nextInt(b.length)),
                        "truncated");
            } else if (dice < 81) {
                byte[] b = new byte[r.nextInt(2000)];
                r.nextBytes(b);
                return new Request(t.path(), b, "garbage");
            } else if (dice < 86) {
                String json = List.of("[]", "\"str\"", "1", "null", "true", "[{}]", "{}", "",
                        " ").get(r.nextInt(9));
                return new Request(t.path(), bytes(json), "not-an-object");
            } else if (dice < 90) {
                String ctl = "\u0000\u0001\u001f\u007f\u2028\ufffe";
                return mutateField(t, r, F.textNode("a" + ctl.charAt(r.nextInt(ctl.length()))
                        + "b"), "control-char");
            } else if (dice < 93) {
                String json = t.json();
                int brace = json.indexOf('{');
                String dup = json.substring(0, brace + 1) + json.substring(brace + 1,
                        json.length() - 1) + "," + json.substring(brace + 1);
                return new Request(t.path(), bytes(dup), "duplicate-keys");
            } else if (dice < 96) {
                return mutateField(t, r, nestedArray(r), "array-in-place-of-value");
            } else {
                ObjectNode o = (ObjectNode) Json.mapper().readTree(t.json());
                List<String> names = new ArrayList<>();
                o.fieldNames().forEachRemaining(names::add);
                if (!names.isEmpty()) {
                    o.remove(names.get(r.nextInt(names.size())));
                }
                return new Request(t.path(), bytes(o.toString()), "missing-field");
            }
        } catch (java.io.IOException e) {
            throw new IllegalStateException("template is not JSON: " + t.json(), e);
        }
    }

    private Request mutateField(Template t, SplittableRandom r, JsonNode value, String kind)
            throws java.io.IOException {
        return mutateField(t, r, value, kind, null);
    }

    /** Replaces one value somewhere in the template (top level or nested) with {@code value}. */
    private Request mutateField(Template t, SplittableRandom r, JsonNode value, String kind,
            String rawToken) throws java.io.IOException {
        JsonNode root = Json.mapper().readTree(t.json());
        List<JsonNode> containers = new ArrayList<>();
        collect(root, containers);
        JsonNode c = containers.get(r.nextInt(containers.size()));
        if (c instanceof ObjectNode o && o.size() > 0) {
            List<String> names = new ArrayList<>();
            o.fieldNames().forEachRemaining(names::add);
            o.set(names.get(r.nextInt(names.size())), value);
        } else if (c instanceof ArrayNode a && a.size() > 0) {
            a.set(r.nextInt(a.size()), value);
        } else if (c instanceof ObjectNode o) {
            o.set("x", value);
        }
        String json = root.toString();
        if (rawToken != null) {
            json = json.replace("\"" + RAW + "\"", rawToken);
        }
        return new Request(t.path(), bytes(json), kind);
    }

    private static void collect(JsonNode node, List<JsonNode> out) {
        if (node.isContainerNode()) {
            out.add(node);
            node.forEach(child -> collect(child, out));
        }
    }

    private Request invalidUtf8(Template t, SplittableRandom r) throws java.io.IOException {
        Request base = mutateField(t, r, F.textNode(RAW), "invalid-utf8");
        String json = new String(base.body(), StandardCharsets.UTF_8);
        int at = json.indexOf(RAW);
        if (at < 0) {
            return base;
        }
        byte[][] bad = {{(byte) 0xff}, {(byte) 0xc3, 0x28}, {(byte) 0xc0, (byte) 0xaf},
            {(byte) 0xed, (byte) 0xa0, (byte) 0x80}, {(byte) 0xf8, (byte) 0x88, (byte) 0x80}};
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(bytes(json.substring(0, at)));
        if (r.nextBoolean()) {
            out.writeBytes(bad[r.nextInt(bad.length)]);
        } else {
            out.writeBytes(bytes("\\ud800x"));
        }
        out.writeBytes(bytes(json.substring(at + RAW.length())));
        return new Request(t.path(), out.toByteArray(), "invalid-utf8");
    }

    private static byte[] deep(SplittableRandom r) {
        int depth = 100 + r.nextInt(20_000);
        boolean objects = r.nextBoolean();
        StringBuilder b = new StringBuilder(depth * 6);
        for (int i = 0; i < depth; i++) {
            b.append(objects ? "{\"a\":" : "[");
        }
        b.append("1");
        for (int i = 0; i < depth; i++) {
            b.append(objects ? "}" : "]");
        }
        return bytes(b.toString());
    }

    private static JsonNode nestedArray(SplittableRandom r) {
        ArrayNode a = F.arrayNode();
        for (int i = 0; i < r.nextInt(5); i++) {
            a.add(r.nextBoolean() ? F.numberNode(r.nextInt()) : F.textNode("x"));
        }
        return a;
    }

    private static JsonNode extremeNumber(SplittableRandom r) {
        return switch (r.nextInt(10)) {
            case 0 -> F.numberNode(-1);
            case 1 -> F.numberNode(0);
            case 2 -> F.numberNode(Integer.MAX_VALUE);
            case 3 -> F.numberNode(Long.MIN_VALUE);
            case 4 -> F.numberNode(new java.math.BigInteger("9".repeat(40)));
            case 5 -> F.numberNode(-1e308);
            case 6 -> F.numberNode(1e-320);
            case 7 -> F.numberNode(2147483648L);
            case 8 -> F.numberNode(-0.5);
            default -> F.numberNode(new java.math.BigDecimal("1e400"));
        };
    }

    private static JsonNode randomValue(SplittableRandom r) {
        return switch (r.nextInt(8)) {
            case 0 -> F.textNode("x");
            case 1 -> F.numberNode(r.nextInt(-5, 5));
            case 2 -> F.booleanNode(r.nextBoolean());
            case 3 -> F.nullNode();
            case 4 -> F.arrayNode().add(1).add("two");
            case 5 -> F.objectNode().put("k", "v");
            case 6 -> F.numberNode(r.nextDouble() * 10);
            default -> F.textNode("");
        };
    }

    private static String randomText(SplittableRandom r, int n) {
        StringBuilder b = new StringBuilder(n);
        String alphabet = "abc xyz\u00e9\u4e2d\ud83d\ude00\n\t\"\\<>{}";
        while (b.length() < n) {
            b.append(alphabet.charAt(r.nextInt(alphabet.length())));
        }
        return b.toString();
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
