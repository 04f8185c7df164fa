/**
 * {@code infer chat}: the JLine3 REPL, slash commands, history, conversation state, stream
 * rendering and the non-terminal (scripting) mode, over one {@code ChatBackend} with a remote and
 * an in-process implementation.
 *
 * <p>Must not depend on Javalin, {@code controller} or {@code worker}.
 */
package dev.infer.chat;
