package dev.infer.chat;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.infer.protocol.ChatMessage;
import dev.infer.protocol.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The turns of one chat, user and assistant alternating, without the system prompt (that lives in
 * {@link ChatSettings}). Not thread-safe: the REPL owns it.
 *
 * <p>Saved as JSON: {@code {"system": "...", "messages": [{"role": "user", "content": "..."},
 * ...]}}, which is also what {@code /load} reads (a bare array of messages works too, and a leading
 * {@code system} message becomes the system prompt).
 */
public final class Conversation {
    public static final String USER = "user";
    public static final String ASSISTANT = "assistant";
    public static final String SYSTEM = "system";

    private final List<ChatMessage> turns = new ArrayList<>();

    /** The turns so far, oldest first. */
    public List<ChatMessage> turns() {
        return List.copyOf(turns);
    }

    public int size() {
        return turns.size();
    }

    public void addUser(String text) {
        turns.add(new ChatMessage(USER, text));
    }

    public void addAssistant(String text) {
        turns.add(new ChatMessage(ASSISTANT, text));
    }

    /** Everything to send for the next answer: the system prompt, if any, then every turn. */
    public List<ChatMessage> request(String system) {
        List<ChatMessage> all = new ArrayList<>(turns.size() + 1);
        if (system != null) {
            all.add(new ChatMessage(SYSTEM, system));
        }
        all.addAll(turns);
        return all;
    }

    public void clear() {
        turns.clear();
    }

    /**
     * Drops the last exchange: the last user turn and the answer after it (if any).
     *
     * @return the user's text that was dropped, or empty when there was nothing to drop
     */
    public Optional<String> undo() {
        int lastUser = lastUserIndex();
        if (lastUser < 0) {
            return Optional.empty();
        }
        String text = turns.get(lastUser).content();
        turns.subList(lastUser, turns.size()).clear();
        return Optional.of(text);
    }

    /**
     * Drops the last answer so that the last user turn can be answered again.
     *
     * @return false when there is no user turn to answer
     */
    public boolean dropLastAnswer() {
        int lastUser = lastUserIndex();
        if (lastUser < 0) {
            return false;
        }
        turns.subList(lastUser + 1, turns.size()).clear();
        return true;
    }

    /** Drops a user turn that got no answer (the answer failed). */
    public void dropUnanswered() {
        if (!turns.isEmpty() && USER.equals(turns.get(turns.size() - 1).role())) {
            turns.remove(turns.size() - 1);
        }
    }

    private int lastUserIndex() {
        for (int i = turns.size() - 1; i >= 0; i--) {
            if (USER.equals(turns.get(i).role())) {
                return i;
            }
        }
        return -1;
    }

    /** Writes the conversation and its system prompt (null for none) to {@code file}. */
    public void save(Path file, String system) throws IOException {
        ObjectNode root = Json.mapper().createObjectNode();
        if (system != null) {
            root.put("system", system);
        }
        ArrayNode messages = root.putArray("messages");
        for (ChatMessage m : turns) {
            messages.addObject().put("role", m.role()).put("content", m.content());
        }
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        Files.writeString(file, Json.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(root)
                + System.lineSeparator());
    }

    /** What {@link #load} read: the turns and the system prompt (null when the file has none). */
    public record Loaded(List<ChatMessage> turns, String system) {}

    /**
     * Reads a saved conversation.
     *
     * @throws IllegalArgumentException with a one-line reason when the file is missing or is not a
     *     conversation
     */
    public static Loaded load(Path file) {
        JsonNode root;
        try {
            root = Json.mapper().readTree(Files.readAllBytes(file));
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("no such file: " + file);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(file + " is not JSON: " + Json.describe(e));
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read " + file + ": " + e.getMessage());
        }
        JsonNode messages = root != null && root.isArray() ? root : root == null ? null : root.get("messages");
        if (messages == null || !messages.isArray()) {
            throw new IllegalArgumentException(file + " has no \"messages\" array");
        }
        String system = root.isObject() && root.path("system").isTextual() ? root.get("system").asText() : null;
        List<ChatMessage> turns = new ArrayList<>();
        for (int i = 0; i < messages.size(); i++) {
            JsonNode m = messages.get(i);
            String role = m.path("role").asText("");
            JsonNode content = m.get("content");
            if (content == null || !content.isTextual()) {
                throw new IllegalArgumentException(file + ": messages[" + i + "] has no text \"content\"");
            }
            if (SYSTEM.equals(role) && turns.isEmpty() && system == null) {
                system = content.asText();
            } else if (USER.equals(role) || ASSISTANT.equals(role)) {
                turns.add(new ChatMessage(role, content.asText()));
            } else {
                throw new IllegalArgumentException(file + ": messages[" + i + "] has role '" + role
                        + "'; expected user or assistant");
            }
        }
        return new Loaded(List.copyOf(turns), system);
    }

    /** Replaces the turns with loaded ones. */
    public void replace(List<ChatMessage> loaded) {
        turns.clear();
        turns.addAll(loaded);
    }
}
