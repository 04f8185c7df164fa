package dev.infer.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.infer.protocol.ChatMessage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConversationTest {
    @TempDir Path dir;

    private static Conversation twoExchanges() {
        Conversation c = new Conversation();
        c.addUser("one");
        c.addAssistant("first");
        c.addUser("two");
        c.addAssistant("second");
        return c;
    }

    @Test
    void undo_drops_the_last_question_and_its_answer() {
        Conversation c = twoExchanges();
        assertEquals(Optional.of("two"), c.undo());
        assertEquals(List.of(new ChatMessage("user", "one"), new ChatMessage("assistant", "first")), c.turns());
        assertEquals(Optional.of("one"), c.undo());
        assertEquals(Optional.empty(), c.undo());
    }

    @Test
    void request_puts_the_system_prompt_first() {
        assertEquals(new ChatMessage("system", "be brief"), twoExchanges().request("be brief").get(0));
        assertEquals(4, twoExchanges().request(null).size());
    }

    @Test
    void drop_last_answer_keeps_the_question_for_regeneration() {
        Conversation c = twoExchanges();
        assertTrue(c.dropLastAnswer());
        assertEquals(new ChatMessage("user", "two"), c.turns().get(c.size() - 1));
        assertFalse(new Conversation().dropLastAnswer());
    }

    @Test
    void save_and_load_round_trip_keeps_turns_and_system_prompt() throws IOException {
        Path file = dir.resolve("sub/chat.json");
        twoExchanges().save(file, "be brief");
        Conversation.Loaded loaded = Conversation.load(file);
        assertEquals(twoExchanges().turns(), loaded.turns());
        assertEquals("be brief", loaded.system());
    }

    @Test
    void load_accepts_an_openai_style_message_array() throws IOException {
        Path file = dir.resolve("array.json");
        Files.writeString(file, "[{\"role\":\"system\",\"content\":\"s\"},{\"role\":\"user\",\"content\":\"hi\"}]");
        Conversation.Loaded loaded = Conversation.load(file);
        assertEquals("s", loaded.system());
        assertEquals(List.of(new ChatMessage("user", "hi")), loaded.turns());
    }

    @Test
    void load_refuses_files_that_are_not_conversations_with_one_line_reasons() throws IOException {
        Path missing = dir.resolve("missing.json");
        assertEquals("no such file: " + missing, assertThrows(IllegalArgumentException.class,
                () -> Conversation.load(missing)).getMessage());
        Path broken = dir.resolve("broken.json");
        Files.writeString(broken, "{\"messages\": [");
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Conversation.load(broken))
                .getMessage().startsWith(broken + " is not JSON: malformed JSON"));
        Path badRole = dir.resolve("role.json");
        Files.writeString(badRole, "{\"messages\": [{\"role\": \"tool\", \"content\": \"x\"}]}");
        assertEquals(badRole + ": messages[0] has role 'tool'; expected user or assistant",
                assertThrows(IllegalArgumentException.class, () -> Conversation.load(badRole)).getMessage());
    }
}
