package dev.infer.chat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.infer.protocol.ChatMessage;
import dev.infer.protocol.Json;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code infer chat} without a terminal: every input (a line, or the whole input) is one question
 * with its own answer, asked in a fresh conversation that has only the system prompt. stdout gets
 * the answers and nothing else (or one JSON object per answer with {@code --json}); everything
 * else goes to stderr.
 */
public final class ScriptMode {
    private final ChatBackend backend;
    private final ChatSettings settings;
    private final boolean json;
    private final PrintWriter out;
    private final PrintWriter err;

    public ScriptMode(ChatBackend backend, ChatSettings settings, boolean json, PrintWriter out,
            PrintWriter err) {
        this.backend = backend;
        this.settings = settings;
        this.json = json;
        this.out = out;
        this.err = err;
    }

    /**
     * Answers each non-blank line of {@code in} (or all of it as one message when {@code whole}).
     *
     * @return true when every answer worked
     */
    public boolean run(BufferedReader in, boolean whole) throws IOException {
        if (whole) {
            StringBuilder all = new StringBuilder();
            char[] buf = new char[8192];
            for (int n; (n = in.read(buf)) > 0; ) {
                all.append(buf, 0, n);
            }
            return all.toString().isBlank() || answer(all.toString().strip());
        }
        boolean ok = true;
        // Line by line, answering each as it arrives, so a pipe from a slow writer works.
        for (String line; (line = in.readLine()) != null; ) {
            if (!line.isBlank()) {
                ok &= answer(line.strip());
            }
        }
        return ok;
    }

    /** Answers one message; true when it worked. */
    public boolean answer(String message) {
        List<ChatMessage> messages = new ArrayList<>();
        if (settings.system() != null) {
            messages.add(new ChatMessage(Conversation.SYSTEM, settings.system()));
        }
        messages.add(new ChatMessage(Conversation.USER, message));
        boolean[] printed = {false};
        try {
            Answer a = backend.chat(settings.model(), messages, settings, json ? d -> { } : d -> {
                printed[0] = true;
                out.print(d);
                out.flush();
            });
            if (json) {
                out.println(Json.write(toJson(message, a)));
            } else {
                out.println();
            }
            out.flush();
            return true;
        } catch (ChatException e) {
            if (json) {
                ObjectNode o = Json.mapper().createObjectNode();
                o.put("input", message).put("model", settings.model()).put("error", e.getMessage());
                out.println(Json.write(o));
                out.flush();
            } else if (printed[0]) {
                out.println();
                out.flush();
            }
            err.println("infer chat: " + e.getMessage());
            err.flush();
            return false;
        }
    }

    static ObjectNode toJson(String input, Answer a) {
        ObjectNode o = Json.mapper().createObjectNode();
        o.put("input", input);
        o.put("output", a.text());
        o.put("model", a.model());
        o.put("finish_reason", a.finishReason());
        ObjectNode usage = o.putObject("usage");
        if (a.promptTokens() >= 0) {
            usage.put("prompt_tokens", a.promptTokens());
        }
        if (a.completionTokens() >= 0) {
            usage.put("completion_tokens", a.completionTokens());
        }
        if (a.promptTokens() >= 0 && a.completionTokens() >= 0) {
            usage.put("total_tokens", a.promptTokens() + a.completionTokens());
        }
        return o;
    }
}
