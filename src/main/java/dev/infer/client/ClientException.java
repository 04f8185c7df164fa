package dev.infer.client;

import dev.infer.protocol.ErrorCode;
import java.net.ConnectException;
import java.net.http.HttpConnectTimeoutException;
import java.nio.channels.ClosedChannelException;
import org.apache.hc.client5.http.ConnectTimeoutException;

/**
 * A call to another part of the cluster that did not work. {@link #kind()} tells whether the peer
 * could not be reached, timed out, or answered with an error; the message is one line that names
 * the URL.
 */
public class ClientException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** What went wrong, coarsely, so that callers can choose to retry or to report. */
    public enum Kind {
        /** Connection refused, unknown host, reset before any answer. */
        UNREACHABLE,
        /** No answer (or no next chunk) within the timeout. */
        TIMEOUT,
        /** The peer answered with an error status or error object. */
        ERROR_RESPONSE,
        /** The answer could not be understood. */
        BAD_RESPONSE
    }

    private final Kind kind;
    private final int status;
    private final ErrorCode errorCode;

    public ClientException(Kind kind, int status, ErrorCode errorCode, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
        this.status = status;
        this.errorCode = errorCode;
    }

    public Kind kind() {
        return kind;
    }

    /** The HTTP status for {@link Kind#ERROR_RESPONSE}, otherwise 0. */
    public int status() {
        return status;
    }

    /** FastChat's error code when the peer sent one (or the closest match), otherwise null. */
    public ErrorCode errorCode() {
        return errorCode;
    }

    /**
     * A connection that could not be made or broke, as {@link Kind#UNREACHABLE}, for either HTTP
     * client: "connection timed out", "connection refused", or {@code broken} followed by the
     * cause's own message.
     */
    static ClientException unreachable(String url, Throwable e, String broken) {
        String why;
        if (e instanceof HttpConnectTimeoutException || e instanceof ConnectTimeoutException) {
            why = "connection timed out";
        } else if (e instanceof ConnectException || e instanceof ClosedChannelException) {
            why = "connection refused";
        } else {
            why = broken + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
        }
        return new ClientException(Kind.UNREACHABLE, 0, null, url + ": " + why, e);
    }
}
