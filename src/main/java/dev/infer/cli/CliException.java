package dev.infer.cli;

/**
 * An expected failure of a command: printed as one line, {@code infer <command>: <message>},
 * and turned into the exit code. Stack traces are shown only with {@code --verbose}.
 */
public class CliException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final int exitCode;

    public CliException(int exitCode, String message) {
        super(message);
        this.exitCode = exitCode;
    }

    public CliException(int exitCode, String message, Throwable cause) {
        super(message, cause);
        this.exitCode = exitCode;
    }

    /** A failure that is not the user's: a server unreachable, a model missing. Exit 1. */
    public static CliException failure(String message) {
        return new CliException(ExitCodes.FAILURE, message);
    }

    public static CliException failure(String message, Throwable cause) {
        return new CliException(ExitCodes.FAILURE, message, cause);
    }

    /** Bad usage that picocli could not see (two flags that exclude each other, say). Exit 2. */
    public static CliException usage(String message) {
        return new CliException(ExitCodes.USAGE, message);
    }

    public int exitCode() {
        return exitCode;
    }
}
