package dev.infer.cli;

/** The exit codes every command uses; listed in {@code --help} and the man pages. */
public final class ExitCodes {
    public static final int OK = 0;
    /** A failure that is not the user's: unreachable server, missing model, failed request. */
    public static final int FAILURE = 1;
    /** Bad usage: unknown flag, missing or invalid value. */
    public static final int USAGE = 2;

    private ExitCodes() {}
}
