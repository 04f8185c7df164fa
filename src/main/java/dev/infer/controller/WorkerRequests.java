package dev.infer.controller;

import dev.infer.protocol.ProtocolException;
import dev.infer.protocol.WorkerStatus;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.util.List;

/** Validation of what workers send: names that must be base URLs, and status reports. */
final class WorkerRequests {
    private WorkerRequests() {}

    /**
     * Checks that {@code value}, the {@code field} of a request, is an http(s) base URL with a
     * host and no user info, query or fragment: the controller hands it to clients as an address.
     */
    static String workerName(String field, String value) {
        if (value == null) {
            throw ProtocolException.invalid("missing field '" + field + "'");
        }
        URI uri;
        try {
            uri = new URI(value);
        } catch (URISyntaxException e) {
            throw ProtocolException.invalid("invalid field '" + field + "': not a URL: " + value);
        }
        String scheme = uri.getScheme();
        if (scheme == null
                || !(scheme.equalsIgnoreCase("http") || scheme.equalsIgnoreCase("https"))) {
            throw ProtocolException.invalid("invalid field '" + field
                    + "': expected an http(s) URL such as http://127.0.0.1:21002, got " + value);
        }
        if (uri.getHost() == null || uri.getHost().isEmpty()) {
            throw ProtocolException.invalid(
                    "invalid field '" + field + "': URL has no host: " + value);
        }
        if (uri.getRawUserInfo() != null || uri.getRawQuery() != null
                || uri.getRawFragment() != null) {
            throw ProtocolException.invalid("invalid field '" + field
                    + "': URL must not carry user info, a query or a fragment: " + value);
        }
        String path = uri.getRawPath();
        if (path != null && !path.isEmpty() && !path.equals("/")) {
            throw ProtocolException.invalid("invalid field '" + field
                    + "': a worker address has no path (the controller appends the endpoint), got "
                    + value);
        }
        return value;
    }

    /**
     * Where a worker may be: {@link #workerName} plus a check of the host's addresses, so that
     * register (whose address the controller fetches) cannot point it at link-local services
     * such as a cloud metadata endpoint (169.254.169.254, fd00:ec2::254) unless allowed.
     */
    record Addresses(boolean allowLinkLocal) {
        String check(String field, String value) {
            workerName(field, value);
            if (allowLinkLocal) {
                return value;
            }
            String host = URI.create(value).getHost();
            if (host.startsWith("[") && host.endsWith("]")) {
                host = host.substring(1, host.length() - 1);
            }
            InetAddress[] resolved;
            try {
                resolved = InetAddress.getAllByName(host);
            } catch (UnknownHostException e) {
                // Not resolvable now: nothing to fetch there, and clients will fail to connect.
                return value;
            }
            // TODO: the name is resolved again when the controller connects, so a DNS name that
            // changes its answer in between (DNS rebinding) gets past this check; IP addresses
            // as worker names do not have that problem.
            for (InetAddress a : resolved) {
                if (a.isLinkLocalAddress() || METADATA_V6.equals(a)) {
                    throw ProtocolException.invalid("invalid field '" + field + "': " + value
                            + " is a link-local address; start the controller with "
                            + "--allow-link-local-workers to accept it");
                }
            }
            return value;
        }
    }

    private static final InetAddress METADATA_V6 = literal("fd00:ec2::254");

    private static InetAddress literal(String ip) {
        try {
            return InetAddress.getByName(ip);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Checks a status report; {@code prefix} is where it came from (a field path, or a URL). */
    static WorkerStatus status(String prefix, WorkerStatus status) {
        List<String> names = status.modelNames();
        if (names == null || names.isEmpty()) {
            throw ProtocolException.invalid(prefix + "model_names' must list at least one model");
        }
        for (int i = 0; i < names.size(); i++) {
            if (names.get(i) == null || names.get(i).isBlank()) {
                throw ProtocolException.invalid(
                        prefix + "model_names[" + i + "]' must be a non-empty string");
            }
        }
        Double speed = status.speed();
        if (speed == null) {
            throw ProtocolException.invalid(prefix + "speed' is missing");
        }
        if (!(speed > 0) || speed.isInfinite()) {
            throw ProtocolException.invalid(
                    prefix + "speed' must be a positive number, got " + speed);
        }
        queueLength(prefix + "queue_length'", status.queueLength());
        return status;
    }

    /** Checks a queue length; {@code what} names it in the message. */
    static int queueLength(String what, Integer queueLength) {
        if (queueLength == null) {
            throw ProtocolException.invalid(what + " is missing");
        }
        if (queueLength < 0) {
            throw ProtocolException.invalid(what + " must not be negative, got " + queueLength);
        }
        return queueLength;
    }

    /** A required, non-blank string field. */
    static String required(String field, String value) {
        if (value == null) {
            throw ProtocolException.invalid("missing field '" + field + "'");
        }
        if (value.isBlank()) {
            throw ProtocolException.invalid("invalid field '" + field + "': must not be empty");
        }
        return value;
    }
}
