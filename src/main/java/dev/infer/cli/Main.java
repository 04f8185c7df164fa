package dev.infer.cli;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * Entry point. {@link #run} builds the command line, runs it and returns the exit code, so tests
 * call it in process; only {@link #main} exits the JVM.
 */
public final class Main {
    private Main() {}

    public static void main(String[] args) {
        // DJL's tokenizer binding probes the network at start unless told not to.
        System.setProperty("ai.djl.offline", "true");
        System.setProperty("OPT_OUT_TRACKING", "true");
        int code = run(new PrintWriter(System.out, true, StandardCharsets.UTF_8),
                new PrintWriter(System.err, true, StandardCharsets.UTF_8), args);
        System.exit(code);
    }

    /** Runs {@code infer args}, writing command output to {@code out} and errors to {@code err}. */
    public static int run(PrintWriter out, PrintWriter err, String... args) {
        return commandLine(out, err).execute(args);
    }

    /** The command line exactly as {@code main} uses it; completion and man generation start here. */
    public static CommandLine commandLine(PrintWriter out, PrintWriter err) {
        InferCommand root = new InferCommand();
        CommandLine cli = new CommandLine(root);
        for (Object sub : subcommands()) {
            cli.addSubcommand(sub);
        }
        cli.setOut(out);
        cli.setErr(err);
        cli.setCaseInsensitiveEnumValuesAllowed(true);
        cli.setParameterExceptionHandler(Main::usageError);
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> failure(root, commandLine, e));
        return cli;
    }

    /** Every subcommand, in the order {@code --help} lists them. */
    static List<Object> subcommands() {
        return List.of(new ControllerCommand(), new WorkerCommand(), new ListCommand(), new KillCommand(),
                new TestCommand(), new ApiCommand(), new ChatCommand(), new ServeCommand(),
                new CommandLine.HelpCommand());
    }

    private static int usageError(ParameterException e, String[] args) {
        CommandLine cmd = e.getCommandLine();
        PrintWriter err = cmd.getErr();
        String message = e.getMessage();
        if (e instanceof UnmatchedArgumentException u) {
            List<String> suggestions = u.getSuggestions();
            if (!suggestions.isEmpty()) {
                message += " (did you mean " + String.join(" or ", suggestions) + "?)";
            }
        }
        err.println(cmd.getCommandName().equals("infer") ? "infer: " + message
                : "infer " + cmd.getCommandName() + ": " + message);
        err.println("Try '" + qualifiedName(cmd) + " --help' for more information.");
        err.flush();
        return ExitCodes.USAGE;
    }

    private static int failure(InferCommand root, CommandLine cmd, Exception e) {
        PrintWriter err = cmd.getErr();
        int code = e instanceof CliException c ? c.exitCode() : ExitCodes.FAILURE;
        String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        if (!(e instanceof CliException)) {
            message = "unexpected error: " + message;
        }
        err.println(qualifiedName(cmd) + ": " + message.lines().findFirst().orElse(""));
        if (code == ExitCodes.USAGE) {
            err.println("Try '" + qualifiedName(cmd) + " --help' for more information.");
        }
        if (root.verbose) {
            e.printStackTrace(err);
        }
        err.flush();
        return code;
    }

    static String qualifiedName(CommandLine cmd) {
        return cmd.getCommandSpec().qualifiedName();
    }

    /** Reads the version from the jar manifest; "dev" when run from classes. */
    public static final class Version implements IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"infer " + (v == null ? "dev" : v),
                "Java " + System.getProperty("java.version") + " (" + System.getProperty("java.vm.name") + ")"};
        }
    }

}
