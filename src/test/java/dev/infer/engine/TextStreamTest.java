package dev.infer.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.infer.testing.SharedModels;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Incremental decoding with the Llama tokenizer: byte fallback and SentencePiece spaces. */
class TextStreamTest {
    static TextTokenizer llama;

    @BeforeAll
    static void open() {
        ModelFolder folder = ModelFolder.open(SharedModels.require(SharedModels.LLAMA_FP16));
        llama = TextTokenizer.open(folder.tokenizerFile, "<s>");
    }

    @AfterAll
    static void close() {
        if (llama != null) {
            llama.close();
        }
    }

    private static List<String> stream(String prompt, long[] generated, List<String> stops) {
        long[] ids = llama.encode(prompt);
        KvSequence seq = new KvSequence(ids);
        TextStream stream = new TextStream(llama, seq, ids.length, stops);
        List<String> shown = new ArrayList<>();
        for (long id : generated) {
            seq.append(id);
            boolean stop = stream.advance();
            shown.add(stream.visible(stop));
            if (stop) {
                break;
            }
        }
        stream.finish();
        shown.add(stream.text());
        return shown;
    }

    @Test
    void a_character_split_over_byte_tokens_is_held_back_until_complete() {
        // "€" is E2 82 AC; Llama's byte-fallback tokens <0xNN> have ids NN + 3.
        List<String> shown = stream("Price", new long[] {0xE2 + 3, 0x82 + 3, 0xAC + 3}, List.of());
        shown.forEach(s -> assertFalse(s.contains("\uFFFD"), s));
        assertEquals(List.of("", "", "€", "€"), shown);
    }

    @Test
    void the_leading_space_of_a_word_after_the_prompt_is_kept() {
        long[] world = llama.encode("Hello world");
        long[] generated = {world[world.length - 1]};
        assertEquals(" world", stream("Hello", generated, List.of()).get(0));
    }

    @Test
    void a_tail_that_may_become_a_stop_string_is_not_shown_until_it_cannot() {
        long[] ids = llama.encode("Hello big world");
        long[] generated = {ids[2], ids[3]};
        // "world" could still grow into "worlds": shown only when the generation ends.
        assertEquals(List.of(" big", " big ", " big world"),
                stream("Hello", generated, List.of("worlds")));
        assertEquals(List.of(" bi", " bi", " bi"), stream("Hello", generated, List.of("g w")));
    }
}
