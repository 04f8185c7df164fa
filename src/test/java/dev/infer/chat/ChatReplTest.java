package dev.infer.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.infer.protocol.ChatMessage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The REPL on a real JLine terminal over pipes, with a scripted backend behind it. */
class ChatReplTest {
    @TempDir Path dir;
    private final ScriptedBackend backend = new ScriptedBackend();

    private TerminalDriver start() throws Exception {
        return new TerminalDriver(backend, ChatSettings.defaults().withModel("alpha"), dir.resolve("history"));
    }

    @Test
    void answer_streams_and_the_conversation_grows() throws Exception {
        try (TerminalDriver t = start()) {
            int at = t.prompt(0);
            t.type("hello there\r");
            at = t.await("reply 1 to: hello there", at);
            t.prompt(at);
            t.type("and again\r");
            t.await("reply 2 to: and again", at);
            assertEquals(List.of(new ChatMessage("user", "hello there"),
                    new ChatMessage("assistant", "reply 1 to: hello there"),
                    new ChatMessage("user", "and again")), backend.requests.get(1));
        }
    }

    @Test
    void ctrl_c_stops_the_answer_and_the_session_goes_on() throws Exception {
        backend.hangAfterFirstWord = true;
        try (TerminalDriver t = start()) {
            int at = t.prompt(0);
            t.type("tell me everything\r");
            // The first word is on screen while the answer is still being generated: it streams.
            at = t.await("reply", at);
            t.type("\u0003");
            at = t.await("[answer stopped]", at);
            t.prompt(at);
            backend.hangAfterFirstWord = false;
            t.type("/show\r");
            t.await("messages: 2", at);
            assertEquals("reply", t.session.conversation().turns().get(1).content());
            assertFalse(t.ended());
        }
    }

    @Test
    void ctrl_c_at_the_prompt_clears_the_line_without_sending_it() throws Exception {
        try (TerminalDriver t = start()) {
            int at = t.prompt(0);
            t.type("half a thought");
            // Ctrl-C is a signal, not input: wait until the reader has the text before pressing it.
            at = t.await("half a thought", at);
            t.type("\u0003");
            at = t.prompt(at);
            t.type("whole\r");
            t.await("reply 1 to: whole", at);
            assertEquals(1, backend.requests.size());
        }
    }

    @Test
    void undo_and_reset_shape_what_is_sent_next() throws Exception {
        try (TerminalDriver t = start()) {
            int at = t.prompt(0);
            t.type("one\r");
            at = t.await("reply 1 to: one", at);
            t.type("two\r");
            at = t.await("reply 2 to: two", at);
            t.type("/undo\r");
            at = t.await("dropped the last exchange: two", at);
            t.type("three\r");
            at = t.await("reply 3 to: three", at);
            assertEquals(List.of("one", "reply 1 to: one", "three"),
                    backend.requests.get(2).stream().map(ChatMessage::content).toList());
            t.type("/reset\r");
            at = t.await("new conversation", at);
            t.type("four\r");
            t.await("reply 4 to: four", at);
            assertEquals(List.of(new ChatMessage("user", "four")), backend.requests.get(3));
        }
    }

    @Test
    void regen_answers_the_last_question_again() throws Exception {
        try (TerminalDriver t = start()) {
            int at = t.prompt(0);
            t.type("one\r");
            at = t.await("reply 1 to: one", at);
            t.type("/regen\r");
            t.await("reply 2 to: one", at);
            assertEquals(List.of(new ChatMessage("user", "one")), backend.requests.get(1));
        }
    }

    @Test
    void save_and_load_round_trip_restores_the_conversation() throws Exception {
        Path file = dir.resolve("chat.json");
        try (TerminalDriver t = start()) {
            int at = t.prompt(0);
            t.type("/system be terse\r");
            at = t.await("system prompt set", at);
            t.type("one\r");
            at = t.await("reply 1 to: one", at);
            t.type("/save " + file + "\r");
            at = t.await("saved 2 messages to " + file, at);
            t.type("/reset\r");
            at = t.await("new conversation", at);
            t.type("/system\r");
            at = t.await("system prompt removed", at);
            t.type("/load " + file + "\r");
            at = t.await("loaded 2 messages from " + file, at);
            t.type("two\r");
            t.await("reply 2 to: two", at);
        }
        assertTrue(Files.readString(file).contains("\"system\" : \"be terse\""));
        assertEquals(List.of("be terse", "one", "reply 1 to: one", "two"),
                backend.requests.get(1).stream().map(ChatMessage::content).toList());
    }

    @Test
    void set_refuses_bad_values_and_applies_good_ones() throws Exception {
        try (TerminalDriver t = start()) {
            int at = t.prompt(0);
            t.type("/set temperature 9\r");
            at = t.await("cannot set: temperature must be between 0 and 2.0, got 9.0", at);
            t.type("/set max_tokens lots\r");
            at = t.await("cannot set: max_tokens must be a whole number, got 'lots'", at);
            t.type("/set top_p 0.5\r");
            at = t.await("top_p = 0.5", at);
            t.type("/show\r");
            at = t.await("top_p: 0.5", at);
            t.await("context_length: 2048", at);
            t.type("hi\r");
            t.await("reply 1 to: hi", at);
            assertEquals(0.5, backend.settings.get(0).topP());
            assertEquals(0.7, backend.settings.get(0).temperature());
        }
    }

    @Test
    void model_switches_only_to_served_models() throws Exception {
        try (TerminalDriver t = start()) {
            int at = t.prompt(0);
            t.type("/model gamma\r");
            at = t.await("model 'gamma' is not served by scripted backend; served: alpha, beta", at);
            t.type("/model beta\r");
            at = t.await("now asking beta", at);
            t.type("/models\r");
            t.await("* beta", at);
        }
    }

    @Test
    void triple_quotes_make_one_multi_line_message() throws Exception {
        try (TerminalDriver t = start()) {
            int at = t.prompt(0);
            t.type("\"\"\"\rfirst line\rsecond line\r\"\"\"\r");
            t.await("reply 1 to: first", at);
            assertEquals("first line\nsecond line", backend.requests.get(0).get(0).content());
        }
    }

    @Test
    void bracketed_paste_keeps_pasted_lines_one_message() throws Exception {
        try (TerminalDriver t = start()) {
            int at = t.prompt(0);
            t.type("\u001b[200~pasted one\npasted two\u001b[201~\r");
            t.await("reply 1 to: pasted", at);
            assertEquals(1, backend.requests.size());
            assertEquals("pasted one\npasted two", backend.requests.get(0).get(0).content());
        }
    }

    @Test
    void tab_completes_slash_commands() throws Exception {
        try (TerminalDriver t = start()) {
            int at = t.prompt(0);
            t.type("/he\t\r");
            t.await("list these commands", at);
        }
    }

    @Test
    void history_is_kept_across_sessions() throws Exception {
        try (TerminalDriver t = start()) {
            int at = t.prompt(0);
            t.type("remember me\r");
            t.await("reply 1 to: remember me", at);
            t.type("/show\r");
            t.await("messages: 2", at);
            t.type("/exit\r");
            t.awaitEnd();
        }
        assertTrue(Files.readString(dir.resolve("history")).contains("remember me"));
        try (TerminalDriver t = start()) {
            int at = t.prompt(0);
            // Up arrow (xterm keypad mode) three times: past /exit and /show to the question.
            t.type("\u001bOA\u001bOA\u001bOA\r");
            t.await("reply 2 to: remember me", at);
        }
    }

    @Test
    void ctrl_d_ends_the_session() throws Exception {
        try (TerminalDriver t = start()) {
            t.prompt(0);
            t.type("\u0004");
            t.awaitEnd();
        }
    }

    @Test
    void a_failed_answer_is_reported_and_not_kept() throws Exception {
        backend.failWith = "worker http://127.0.0.1:9: connection refused";
        try (TerminalDriver t = start()) {
            int at = t.prompt(0);
            t.type("hi\r");
            at = t.await("error: worker http://127.0.0.1:9: connection refused", at);
            t.prompt(at);
            assertEquals(0, t.session.conversation().size());
        }
    }
}
