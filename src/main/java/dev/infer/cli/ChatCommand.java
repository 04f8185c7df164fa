package dev.infer.cli;

import dev.infer.chat.Backends;
import dev.infer.chat.ChatBackend;
import dev.infer.chat.ChatException;
import dev.infer.chat.ChatRepl;
import dev.infer.chat.ChatSession;
import dev.infer.chat.ChatSettings;
import dev.infer.chat.ScriptMode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import org.jline.terminal.Terminal;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code infer chat}: the terminal chat, and its scripting mode when stdin is not a terminal. */
@Command(
        name = "chat",
        mixinStandardHelpOptions = true,
        description = {
            "Chat with a model: an interactive REPL in a terminal; with stdin not a terminal, one "
                    + "answer per input line (or per input with --whole) on stdout.",
            "Backend: --model-path DIR runs the model in this process; --api URL uses an "
                    + "OpenAI-compatible server; --controller URL the cluster. With none, a "
                    + "controller at INFER_CONTROLLER or http://127.0.0.1:21001 if one answers, "
                    + "else the built-in demo model."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:Every answer worked.",
            "1:A backend could not be reached, a model is missing, or an answer failed.",
            "2:Usage error: an unknown flag, a missing or invalid value."})
public final class ChatCommand implements Callable<Integer> {
    @Mixin VerboseMixin verboseMixin;
    @Spec CommandSpec spec;

    @Option(names = "--controller", paramLabel = "URL",
            description = "Ask the cluster through this controller (default: INFER_CONTROLLER).")
    String controller;

    @Option(names = "--api", paramLabel = "URL", description = "Ask an OpenAI-compatible API server.")
    String api;

    @Option(names = "--model-path", paramLabel = "DIR",
            description = "Load this model folder in-process; no servers needed.")
    Path modelPath;

    @Option(names = "--model", paramLabel = "NAME", description = "The model to ask when several are served.")
    String model;

    @Option(names = {"-m", "--message"}, paramLabel = "TEXT", description = "Ask one question, print the answer, exit.")
    String message;

    @Option(names = "--whole", description = "Without a terminal: the whole input is one message.")
    boolean whole;

    @Option(names = "--json", description = "Without a terminal or with -m: one JSON object per answer, with usage.")
    boolean json;

    @Option(names = "--temperature", paramLabel = "T", description = "Sampling temperature, 0 to 2 (default 0.7; 0 is greedy).")
    Double temperature;

    @Option(names = "--top-p", paramLabel = "P", description = "Nucleus sampling, in (0, 1] (default 1).")
    Double topP;

    @Option(names = "--max-tokens", paramLabel = "N",
            description = "Most tokens per answer (default: what the model's context leaves after "
                    + "the prompt, at most 256).")
    Integer maxTokens;

    @Option(names = "--system", paramLabel = "TEXT", description = "The system prompt.")
    String system;

    @Option(names = "--token", paramLabel = "TOKEN", defaultValue = "${env:INFER_TOKEN}",
            description = "The cluster's shared secret (default: INFER_TOKEN).")
    String token;

    @Option(names = "--api-key", paramLabel = "KEY", defaultValue = "${env:INFER_API_KEY}",
            description = "The key for --api (default: INFER_API_KEY).")
    String apiKey;

    @Option(names = "--history", paramLabel = "FILE", defaultValue = "${sys:user.home}/.infer_history",
            description = "Where the REPL keeps input history (default: ${DEFAULT-VALUE}).")
    Path history;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "60",
            description = "Longest wait for a server's first answer (default: ${DEFAULT-VALUE}).")
    int timeoutSeconds;

    @Override
    public Integer call() throws IOException {
        ChatSettings settings = settings();
        if (modelPath != null && (api != null || controller != null)) {
            throw CliException.usage("--model-path cannot be combined with --api or --controller");
        }
        if (api != null && controller != null) {
            throw CliException.usage("--api and --controller exclude each other");
        }
        if (timeoutSeconds < 1) {
            throw CliException.usage("--timeout must be at least 1 second, got " + timeoutSeconds);
        }
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Backends.Choice choice = new Backends.Choice(controller, System.getenv("INFER_CONTROLLER"), api,
                modelPath, token, apiKey, Duration.ofSeconds(timeoutSeconds));
        try (ChatBackend backend = Backends.open(choice, Backends::loadWithEngine)) {
            settings = settings.withModel(ChatSession.resolveModel(backend, settings.model()));
            if (message != null) {
                return new ScriptMode(backend, settings, json, out, err).answer(message)
                        ? ExitCodes.OK : ExitCodes.FAILURE;
            }
            if (!ChatRepl.stdinIsTerminal()) {
                BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
                return new ScriptMode(backend, settings, json, out, err).run(in, whole)
                        ? ExitCodes.OK : ExitCodes.FAILURE;
            }
            try (Terminal terminal = ChatRepl.systemTerminal()) {
                ChatSession session = new ChatSession(backend, settings, terminal.writer());
                new ChatRepl(terminal, session, history, backend::models).run();
            }
            return ExitCodes.OK;
        } catch (ChatException e) {
            throw CliException.failure(e.getMessage(), e);
        }
    }

    private ChatSettings settings() {
        ChatSettings s = ChatSettings.defaults();
        try {
            if (temperature != null) {
                s = s.withTemperature(temperature);
            }
            if (topP != null) {
                s = s.withTopP(topP);
            }
            if (maxTokens != null) {
                s = s.withMaxTokens(maxTokens);
            }
        } catch (IllegalArgumentException e) {
            throw CliException.usage("--" + e.getMessage().replaceFirst("^top_p", "top-p")
                    .replaceFirst("^max_tokens", "max-tokens"));
        }
        return s.withSystem(system).withModel(model);
    }
}
