package dev.infer.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.codegen.docgen.manpage.ManPageGenerator;

/**
 * Writes the shell completions and the man pages' AsciiDoc from the command model that
 * {@link Main#commandLine} builds, so they cannot drift from {@code --help}. Run it with
 * {@code mvn -q -B -Pdocs process-test-classes}, which also turns {@code man/adoc/*.adoc} into
 * roff in {@code man/}; {@link DocsInSyncTest} fails when the checked-in files are stale.
 */
public final class DocsGenerator {
    static final Path COMPLETIONS = Path.of("completions");
    static final Path MAN_ADOC = Path.of("man", "adoc");

    private DocsGenerator() {}

    public static void main(String[] args) throws IOException {
        for (Map.Entry<Path, String> file : generate().entrySet()) {
            Files.createDirectories(file.getKey().getParent());
            Files.writeString(file.getKey(), file.getValue(), StandardCharsets.UTF_8);
        }
        // Pages of commands that no longer exist would otherwise linger.
        try (var old = Files.list(MAN_ADOC)) {
            for (Path p : old.toList()) {
                if (!generate().containsKey(p)) {
                    Files.delete(p);
                }
            }
        }
    }

    /** Every generated file by its path relative to the repository root, in a stable order. */
    static synchronized Map<Path, String> generate() {
        // Defaults such as ${sys:user.home}/.infer_history must not depend on who runs this.
        String home = System.getProperty("user.home");
        System.setProperty("user.home", "~");
        try {
            return render(commandLine());
        } finally {
            System.setProperty("user.home", home);
        }
    }

    private static Map<Path, String> render(CommandLine cli) {
        Map<Path, String> files = new TreeMap<>();
        String bash = AutoComplete.bash("infer", cli);
        files.put(COMPLETIONS.resolve("infer.bash"), bash);
        files.put(COMPLETIONS.resolve("_infer"), zsh(bash));
        for (CommandSpec spec : commands(cli)) {
            StringWriter page = new StringWriter();
            try (PrintWriter pw = new PrintWriter(page)) {
                ManPageGenerator.writeSingleManPage(pw, spec);
            }
            files.put(MAN_ADOC.resolve(spec.qualifiedName("-") + ".adoc"),
                    page.toString().replace("\r\n", "\n"));
        }
        return files;
    }

    private static CommandLine commandLine() {
        PrintWriter sink = new PrintWriter(new StringWriter());
        CommandLine cli = Main.commandLine(sink, sink);
        // The version provider reports the JVM too; pages must not change with the machine.
        cli.getCommandSpec().versionProvider(() -> new String[] {"infer"});
        return cli;
    }

    /** The root command and every subcommand below it, except picocli's {@code help}. */
    private static List<CommandSpec> commands(CommandLine cli) {
        List<CommandSpec> specs = new ArrayList<>();
        specs.add(cli.getCommandSpec());
        for (CommandLine sub : cli.getSubcommands().values()) {
            boolean alias = !sub.getCommandName().equals(sub.getCommandSpec().name());
            if (sub.getCommand() instanceof CommandLine.HelpCommand || alias
                    || specs.contains(sub.getCommandSpec())) {
                continue;
            }
            specs.addAll(commands(sub));
        }
        return specs;
    }

    /** zsh runs picocli's bash completion under bashcompinit; this wraps it as a #compdef file. */
    static String zsh(String bash) {
        return "#compdef infer\n"
                + "# zsh completion for infer, generated from its picocli command model: zsh runs\n"
                + "# the bash completion below under bashcompinit. Put this file in a folder on\n"
                + "# $fpath (before compinit runs), or source it from ~/.zshrc.\n"
                + bash
                + "\n# Loaded by compinit on the first TAB: complete that word as well.\n"
                + "if [[ \"${funcstack[1]}\" == _infer ]]; then\n"
                + "  _bash_complete -o default -F _complete_infer\n"
                + "fi\n";
    }
}
