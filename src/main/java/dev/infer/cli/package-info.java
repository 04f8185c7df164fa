/**
 * The {@code infer} command line: {@link dev.infer.cli.Main} (the only {@code System.exit}), one
 * {@code XxxCommand} per subcommand, shared option mixins, the exit-code mapping, and the
 * {@code serve} wiring. Commands validate their flags, delegate to the part they start, and
 * return an exit code.
 *
 * <p>Nothing depends on {@code cli}.
 */
package dev.infer.cli;
