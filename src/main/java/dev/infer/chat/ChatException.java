package dev.infer.chat;

/**
 * A chat that could not be had: no backend reachable, no model, an answer that failed. The message
 * is one line that names what was tried; the REPL prints it and carries on, the command line turns
 * it into exit code 1.
 */
public class ChatException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public ChatException(String message) {
        super(message);
    }

    public ChatException(String message, Throwable cause) {
        super(message, cause);
    }
}
