package dev.infer.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class ChatSettingsTest {
    @Test
    void set_parses_each_key_and_keeps_the_others() {
        ChatSettings s = ChatSettings.defaults().with("temperature", "0.2").with("top_p", " 0.9 ")
                .with("max-tokens", "64");
        assertEquals(0.2, s.temperature());
        assertEquals(0.9, s.topP());
        assertEquals(64, s.maxTokens());
    }

    @Test
    void out_of_range_values_are_refused_with_the_range() {
        assertEquals("temperature must be between 0 and 2.0, got 3.0",
                assertThrows(IllegalArgumentException.class,
                        () -> ChatSettings.defaults().with("temperature", "3")).getMessage());
        assertEquals("top_p must be greater than 0 and at most 1, got 0.0",
                assertThrows(IllegalArgumentException.class,
                        () -> ChatSettings.defaults().with("top_p", "0")).getMessage());
        assertEquals("max_tokens must be at least 1, got 0",
                assertThrows(IllegalArgumentException.class,
                        () -> ChatSettings.defaults().with("max_tokens", "0")).getMessage());
    }

    @Test
    void non_numbers_and_unknown_keys_are_refused_by_name() {
        assertEquals("max_tokens must be a whole number, got '1.5'",
                assertThrows(IllegalArgumentException.class,
                        () -> ChatSettings.defaults().with("max_tokens", "1.5")).getMessage());
        assertEquals("temperature must be a number, got 'hot'",
                assertThrows(IllegalArgumentException.class,
                        () -> ChatSettings.defaults().with("temperature", "hot")).getMessage());
        assertEquals("unknown setting 'top_k'; one of temperature, top_p, max_tokens",
                assertThrows(IllegalArgumentException.class,
                        () -> ChatSettings.defaults().with("top_k", "5")).getMessage());
    }
}
