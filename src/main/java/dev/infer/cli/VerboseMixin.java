package dev.infer.cli;

import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code --verbose}, accepted on every command. It records itself on the root command, so the one
 * error handler in {@link Main} can decide whether to print stack traces.
 */
public final class VerboseMixin {
    private @Spec(Spec.Target.MIXEE) CommandSpec mixee;
    private boolean verbose;

    @Option(names = {"-v", "--verbose"}, description = "Show debug logging and stack traces on errors.")
    void setVerbose(boolean verbose) {
        this.verbose = verbose;
        CommandSpec root = mixee;
        while (root.parent() != null) {
            root = root.parent();
        }
        if (root.userObject() instanceof InferCommand top) {
            top.verbose = top.verbose || verbose;
        }
        if (verbose) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "debug");
        }
    }

    public boolean verbose() {
        return verbose;
    }
}
