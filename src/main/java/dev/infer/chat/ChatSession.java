package dev.infer.chat;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One interactive chat: the conversation, the settings, the backend, and the slash commands that
 * act on them. Knows nothing of terminals: it writes to a {@link PrintWriter}, so the REPL and the
 * tests drive it the same way. Used from one thread, except {@link #cancel}.
 */
public final class ChatSession {
    /** The slash commands, with their one-line help, in the order {@code /help} lists them. */
    public static final Map<String, String> COMMANDS = commands();

    private final ChatBackend backend;
    private final PrintWriter out;
    private final Conversation conversation = new Conversation();
    private ChatSettings settings;
    /** An answer is being asked for; Ctrl-C means stop it. */
    private volatile boolean answering;
    /** Ctrl-C came during this answer; it may have come before the backend had started. */
    private volatile boolean stopRequested;

    /**
     * @param settings the starting settings; their model must be one the backend serves (see
     *     {@link #resolveModel})
     */
    public ChatSession(ChatBackend backend, ChatSettings settings, PrintWriter out) {
        this.backend = backend;
        this.settings = settings;
        this.out = out;
    }

    private static Map<String, String> commands() {
        Map<String, String> m = new java.util.LinkedHashMap<>();
        m.put("/help", "list these commands");
        m.put("/exit", "leave (also Ctrl-D)");
        m.put("/reset", "start a new conversation");
        m.put("/regen", "answer the last message again");
        m.put("/undo", "drop the last exchange");
        m.put("/save", "FILE  save the conversation as JSON");
        m.put("/load", "FILE  load a conversation saved with /save");
        m.put("/model", "NAME  ask another model");
        m.put("/models", "list the models that can be asked");
        m.put("/system", "TEXT  set the system prompt (no text removes it)");
        m.put("/set", "temperature|top_p|max_tokens VALUE  change a setting");
        m.put("/show", "show the settings and the model's details");
        return java.util.Collections.unmodifiableMap(m);
    }

    /**
     * The model to ask: {@code requested} if the backend serves it, otherwise the backend's first.
     *
     * @throws ChatException when {@code requested} is not served, naming those that are
     */
    public static String resolveModel(ChatBackend backend, String requested) {
        List<String> models = backend.models();
        if (requested == null) {
            return models.get(0);
        }
        if (!models.contains(requested)) {
            throw new ChatException("model '" + requested + "' is not served by " + backend.describe()
                    + "; served: " + String.join(", ", models));
        }
        return requested;
    }

    public Conversation conversation() {
        return conversation;
    }

    public ChatSettings settings() {
        return settings;
    }

    /** Stops the answer being generated, if any; callable from any thread (a signal handler). */
    public void cancel() {
        if (answering) {
            stopRequested = true;
            backend.cancel();
        }
    }

    /**
     * Handles one input: a slash command, or a message to answer.
     *
     * @return false when the session should end ({@code /exit})
     */
    public boolean handle(String input) {
        String line = input.strip();
        if (line.isEmpty()) {
            return true;
        }
        if (!line.startsWith("/") || line.startsWith("//")) {
            // "//text" sends "/text" as a message.
            ask(line.startsWith("//") ? input.strip().substring(1) : input.strip());
            return true;
        }
        int space = line.indexOf(' ');
        String name = space < 0 ? line : line.substring(0, space);
        String arg = space < 0 ? "" : line.substring(space + 1).strip();
        switch (name) {
            case "/exit", "/quit" -> {
                return false;
            }
            case "/help" -> help();
            case "/reset" -> {
                conversation.clear();
                info("new conversation");
            }
            case "/regen" -> regen();
            case "/undo" -> undo();
            case "/save" -> save(arg);
            case "/load" -> load(arg);
            case "/model" -> model(arg);
            case "/models" -> models();
            case "/system" -> system(arg);
            case "/set" -> set(arg);
            case "/show" -> show();
            default -> info("unknown command " + name + "; /help lists the commands");
        }
        return true;
    }

    /** Asks for an answer to {@code text}, streaming it to the output; failures are reported. */
    public Optional<Answer> ask(String text) {
        conversation.addUser(text);
        return answer();
    }

    private Optional<Answer> answer() {
        stopRequested = false;
        answering = true;
        try {
            Answer a = backend.chat(settings.model(), conversation.request(settings.system()), settings,
                    delta -> {
                        if (stopRequested) {
                            // Ctrl-C may have come before the backend had anything to cancel.
                            backend.cancel();
                        }
                        out.print(delta);
                        out.flush();
                    });
            out.println();
            if (a.cancelled()) {
                info("[answer stopped]");
            } else if ("length".equals(a.finishReason())) {
                info(settings.maxTokens() == null ? "[answer cut: the context window is full]"
                        : "[answer cut at max_tokens " + settings.maxTokens() + "]");
            }
            conversation.addAssistant(a.text());
            out.flush();
            return Optional.of(a);
        } catch (ChatException e) {
            conversation.dropUnanswered();
            out.println();
            info("error: " + e.getMessage());
            return Optional.empty();
        } finally {
            answering = false;
        }
    }

    private void help() {
        COMMANDS.forEach((name, text) -> out.println(String.format("  %-8s %s", name, text)));
        out.println("  A line of \"\"\" starts and ends a multi-line message. Ctrl-C stops an answer.");
        out.flush();
    }

    private void regen() {
        if (!conversation.dropLastAnswer()) {
            info("nothing to answer again");
            return;
        }
        answer();
    }

    private void undo() {
        Optional<String> dropped = conversation.undo();
        info(dropped.map(t -> "dropped the last exchange: " + abbreviate(t))
                .orElse("nothing to undo"));
    }

    private void save(String file) {
        if (file.isEmpty()) {
            info("usage: /save FILE");
            return;
        }
        try {
            conversation.save(Path.of(file), settings.system());
            info("saved " + conversation.size() + " messages to " + file);
        } catch (IOException | RuntimeException e) {
            info("cannot save to " + file + ": " + e.getMessage());
        }
    }

    private void load(String file) {
        if (file.isEmpty()) {
            info("usage: /load FILE");
            return;
        }
        try {
            Conversation.Loaded loaded = Conversation.load(Path.of(file));
            conversation.replace(loaded.turns());
            if (loaded.system() != null) {
                settings = settings.withSystem(loaded.system());
            }
            info("loaded " + loaded.turns().size() + " messages from " + file);
        } catch (IllegalArgumentException e) {
            info("cannot load: " + e.getMessage());
        }
    }

    private void model(String name) {
        if (name.isEmpty()) {
            info("usage: /model NAME (now " + settings.model() + "; /models lists them)");
            return;
        }
        try {
            settings = settings.withModel(resolveModel(backend, name));
            info("now asking " + settings.model());
        } catch (ChatException e) {
            info(e.getMessage());
        }
    }

    private void models() {
        try {
            for (String m : backend.models()) {
                out.println((m.equals(settings.model()) ? "* " : "  ") + m);
            }
            out.flush();
        } catch (ChatException e) {
            info("error: " + e.getMessage());
        }
    }

    private void system(String text) {
        settings = settings.withSystem(text);
        info(text.isEmpty() ? "system prompt removed" : "system prompt set");
    }

    private void set(String arg) {
        String[] parts = arg.split("\\s+", 2);
        if (parts.length < 2) {
            info("usage: /set temperature|top_p|max_tokens VALUE");
            return;
        }
        try {
            settings = settings.with(parts[0], parts[1]);
            info(parts[0] + " = " + parts[1].strip());
        } catch (IllegalArgumentException e) {
            info("cannot set: " + e.getMessage());
        }
    }

    private void show() {
        out.println("model: " + settings.model());
        settings.describe().forEach((k, v) -> out.println(k + ": " + v));
        out.println("messages: " + conversation.size());
        try {
            backend.details(settings.model()).forEach((k, v) -> out.println(k + ": " + v));
        } catch (ChatException e) {
            out.println("details: unavailable (" + e.getMessage() + ")");
        }
        out.flush();
    }

    private void info(String message) {
        out.println(message);
        out.flush();
    }

    private static String abbreviate(String text) {
        String one = text.strip().replaceAll("\\s+", " ");
        return one.length() <= 60 ? one : one.substring(0, 57) + "...";
    }
}
