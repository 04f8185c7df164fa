package dev.infer.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;

/** The root command, {@code infer}: it only dispatches to subcommands. */
@Command(
        name = "infer",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description = "A distributed LLM inference cluster on ONNX Runtime, FastChat wire-compatible.",
        synopsisSubcommandLabel = "COMMAND",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:Success.",
            "1:Failure: a server could not be reached, a model is missing, a request failed.",
            "2:Usage error: an unknown flag, a missing or invalid value."
        },
        footer = {"", "Run 'infer COMMAND --help' for a command's options."})
public final class InferCommand implements Runnable {
    @Mixin VerboseMixin verboseMixin;
    @Spec CommandSpec spec;
    boolean verbose;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "missing command");
    }
}
