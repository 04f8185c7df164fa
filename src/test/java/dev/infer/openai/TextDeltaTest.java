package dev.infer.openai;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class TextDeltaTest {
    @Test
    void each_delta_is_what_the_cumulative_text_added() {
        TextDelta d = new TextDelta();
        assertEquals("Hel", d.next("Hel", false));
        assertEquals("lo", d.next("Hello", false));
        assertEquals("", d.next("Hello", true));
    }

    @Test
    void a_half_decoded_character_is_held_back_until_it_completes() {
        TextDelta d = new TextDelta();
        assertEquals("caf", d.next("caf", false));
        assertEquals("", d.next("caf\uFFFD", false));
        assertEquals("é!", d.next("café!", false));
    }

    @Test
    void the_last_chunk_releases_whatever_is_held() {
        TextDelta d = new TextDelta();
        assertEquals("", d.next("x\uFFFD", false));
        assertEquals("x\uFFFD", d.next("x\uFFFD", true));
    }
}
