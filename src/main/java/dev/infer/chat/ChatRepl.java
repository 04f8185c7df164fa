package dev.infer.chat;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Supplier;
import org.jline.reader.Candidate;
import org.jline.reader.Completer;
import org.jline.reader.EndOfFileException;
import org.jline.reader.LineReader;
import org.jline.reader.LineReaderBuilder;
import org.jline.reader.UserInterruptException;
import org.jline.reader.impl.DefaultParser;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;
import org.jline.terminal.spi.SystemStream;
import org.jline.terminal.spi.TerminalProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The terminal face of a {@link ChatSession}: a JLine line reader with history kept in a file, tab
 * completion of the slash commands, multi-line blocks between lines of {@code """}, bracketed
 * paste (a pasted block stays one message), Ctrl-C stopping an answer (or clearing the line at the
 * prompt) and Ctrl-D leaving.
 */
public final class ChatRepl {
    private static final Logger log = LoggerFactory.getLogger(ChatRepl.class);
    /** The line that opens and closes a multi-line message. */
    public static final String BLOCK = "\"\"\"";
    public static final String PROMPT = ">>> ";
    public static final String CONTINUATION = "... ";

    private final Terminal terminal;
    private final ChatSession session;
    private final LineReader reader;

    /**
     * @param historyFile where input history is kept across runs, or null to keep none
     * @param models the model names for {@code /model} completion, asked for when completing
     */
    public ChatRepl(Terminal terminal, ChatSession session, Path historyFile, Supplier<List<String>> models) {
        this.terminal = terminal;
        this.session = session;
        DefaultParser parser = new DefaultParser();
        // Messages are prose: an apostrophe or a backslash must not open a continuation line.
        parser.setEofOnUnclosedQuote(false);
        parser.setEofOnEscapedNewLine(false);
        parser.setEscapeChars(new char[0]);
        LineReaderBuilder builder = LineReaderBuilder.builder()
                .terminal(terminal)
                .appName("infer chat")
                .parser(parser)
                .completer(completer(models))
                .option(LineReader.Option.DISABLE_EVENT_EXPANSION, true)
                .option(LineReader.Option.BRACKETED_PASTE, true)
                .option(LineReader.Option.HISTORY_IGNORE_SPACE, false);
        if (historyFile != null) {
            builder.variable(LineReader.HISTORY_FILE, historyFile);
        }
        this.reader = builder.build();
    }

    private static Completer completer(Supplier<List<String>> models) {
        return (reader, line, candidates) -> {
            if (line.wordIndex() == 0) {
                ChatSession.COMMANDS.forEach((name, help) ->
                        candidates.add(new Candidate(name, name, null, help, null, null, true)));
            } else if (line.wordIndex() == 1 && "/set".equals(line.words().get(0))) {
                ChatSettings.KEYS.forEach(k -> candidates.add(new Candidate(k)));
            } else if (line.wordIndex() == 1 && "/model".equals(line.words().get(0))) {
                try {
                    models.get().forEach(m -> candidates.add(new Candidate(m)));
                } catch (ChatException e) {
                    log.debug("no model names to complete: {}", e.getMessage());
                }
            }
        };
    }

    /** Runs until {@code /exit} or Ctrl-D; saves the history on the way out. */
    public void run() {
        Terminal.SignalHandler previous = terminal.handle(Terminal.Signal.INT, s -> session.cancel());
        terminal.writer().println("infer chat: " + session.settings().model()
                + ". /help lists the commands, Ctrl-D leaves.");
        terminal.flush();
        try {
            while (true) {
                String input;
                try {
                    input = reader.readLine(PROMPT);
                    if (input.strip().equals(BLOCK)) {
                        input = readBlock();
                    }
                } catch (UserInterruptException e) {
                    continue; // Ctrl-C at the prompt: the line is dropped, the chat goes on.
                } catch (EndOfFileException e) {
                    break;
                }
                if (!session.handle(input)) {
                    break;
                }
            }
        } finally {
            terminal.handle(Terminal.Signal.INT, previous);
            try {
                reader.getHistory().save();
            } catch (IOException e) {
                log.warn("cannot save the chat history: {}", e.getMessage());
            }
        }
    }

    /**
     * Whether this process's stdin is a terminal, as JLine's native providers see it (falling back
     * to {@link System#console()} when none can tell).
     */
    public static boolean stdinIsTerminal() {
        for (String provider : List.of("jni", "ffm", "exec")) {
            try {
                return TerminalProvider.load(provider).isSystemStream(SystemStream.Input);
            } catch (IOException | RuntimeException | LinkageError e) {
                log.debug("terminal provider {} cannot tell: {}", provider, e.toString());
            }
        }
        return System.console() != null;
    }

    /** The terminal this process runs in; the caller closes it. */
    public static Terminal systemTerminal() throws IOException {
        return TerminalBuilder.builder().system(true).name("infer chat").build();
    }

    /** Reads lines until the closing {@code """}; Ctrl-C abandons the block. */
    private String readBlock() {
        StringBuilder block = new StringBuilder();
        while (true) {
            String line = reader.readLine(CONTINUATION);
            if (line.strip().equals(BLOCK)) {
                return block.toString();
            }
            if (block.length() > 0) {
                block.append('\n');
            }
            block.append(line);
        }
    }
}
