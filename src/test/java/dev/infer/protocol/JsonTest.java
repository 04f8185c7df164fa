package dev.infer.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class JsonTest {
    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void reads_snake_case_fields_and_ignores_unknown_ones() {
        GenerateRequest r = Json.read(bytes("{\"model\":\"m\",\"prompt\":\"hi\",\"max_new_tokens\":5,\"top_p\":0.5,\"x\":1}"),
                GenerateRequest.class);
        assertEquals(5, r.maxNewTokens());
        assertEquals(0.5, r.topP());
    }

    @Test
    void stop_accepts_a_single_string() {
        GenerateRequest r = Json.read(bytes("{\"stop\":\"###\"}"), GenerateRequest.class);
        assertEquals(List.of("###"), r.stop());
    }

    @Test
    void a_string_where_a_number_belongs_names_the_field() {
        ProtocolException e = assertThrows(ProtocolException.class,
                () -> Json.read(bytes("{\"temperature\":\"hot\"}"), GenerateRequest.class));
        assertEquals(ErrorCode.VALIDATION, e.code());
        assertTrue(e.getMessage().startsWith("invalid field 'temperature'"), e.getMessage());
        assertTrue(!e.getMessage().contains("\n"));
    }

    @Test
    void a_value_of_the_wrong_type_is_described_in_json_words_not_java_ones() {
        assertEquals("invalid field 'temperature': expected a number, got a string (\"hot\")",
                assertThrows(ProtocolException.class, () -> Json.read(
                        bytes("{\"temperature\":\"hot\"}"), GenerateRequest.class)).getMessage());
        assertEquals("invalid field 'max_new_tokens': expected an integer, got a decimal number (2.5)",
                assertThrows(ProtocolException.class, () -> Json.read(
                        bytes("{\"max_new_tokens\":2.5}"), GenerateRequest.class)).getMessage());
        assertEquals("invalid field 'model': expected a string, got an array",
                assertThrows(ProtocolException.class, () -> Json.read(
                        bytes("{\"model\":[\"m\"]}"), GenerateRequest.class)).getMessage());
        assertEquals("invalid field 'messages': expected an array, got a string (\"hi\")",
                assertThrows(ProtocolException.class, () -> Json.read(
                        bytes("{\"messages\":\"hi\"}"), GenerateRequest.class)).getMessage());
        assertEquals("invalid field 'echo': expected true or false, got an integer (1)",
                assertThrows(ProtocolException.class, () -> Json.read(
                        bytes("{\"echo\":1}"), GenerateRequest.class)).getMessage());
    }

    @Test
    void malformed_json_is_reported_as_such() {
        ProtocolException e = assertThrows(ProtocolException.class,
                () -> Json.read(bytes("{\"model\":"), GenerateRequest.class));
        assertTrue(e.getMessage().startsWith("malformed JSON"), e.getMessage());
    }

    @Test
    void deep_nesting_is_refused() {
        String deep = "{\"model\":" + "[".repeat(1000) + "]".repeat(1000) + "}";
        ProtocolException e = assertThrows(ProtocolException.class,
                () -> Json.read(bytes(deep), GenerateRequest.class));
        assertEquals(ErrorCode.VALIDATION, e.code());
    }

    @Test
    void stream_frames_round_trip_and_tolerate_a_missing_last_delimiter() throws Exception {
        byte[] a = StreamFrames.frame(new Usage(1, 2, 3));
        byte[] b = "{\"prompt_tokens\":4}".getBytes(StandardCharsets.UTF_8);
        byte[] all = new byte[a.length + b.length];
        System.arraycopy(a, 0, all, 0, a.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        StreamFrames.Reader reader = new StreamFrames.Reader(new ByteArrayInputStream(all), 1024);
        assertEquals("{\"prompt_tokens\":1,\"completion_tokens\":2,\"total_tokens\":3}", reader.next());
        assertEquals("{\"prompt_tokens\":4}", reader.next());
        assertEquals(null, reader.next());
    }
}
