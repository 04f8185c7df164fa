package dev.infer.cli;

import dev.infer.controller.ControllerServer;
import dev.infer.controller.DispatchPolicy;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

/** {@code infer controller}: runs a controller until SIGTERM or Ctrl-C. */
@Command(name = "controller", mixinStandardHelpOptions = true,
        description = "Start a controller: the registry of workers that clients ask for a worker.")
public final class ControllerCommand implements Callable<Integer> {
    @Mixin VerboseMixin verbose;

    @Option(names = "--host", defaultValue = "127.0.0.1", paramLabel = "HOST",
            description = "Address to bind (default: ${DEFAULT-VALUE}; 0.0.0.0 for every "
                    + "interface).")
    String host;

    @Option(names = "--port", defaultValue = "21001", paramLabel = "PORT",
            description = "Port to listen on (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--dispatch", defaultValue = "shortest-queue", paramLabel = "POLICY",
            converter = PolicyConverter.class,
            completionCandidates = PolicyNames.class,
            description = "How to choose a worker: ${COMPLETION-CANDIDATES} "
                    + "(default: shortest-queue).")
    DispatchPolicy dispatch;

    @Option(names = "--heartbeat-expiration", defaultValue = "90", paramLabel = "SECONDS",
            converter = SecondsConverter.class,
            description = "Drop a worker silent for this long (default: ${DEFAULT-VALUE} s).")
    Duration heartbeatExpiration;

    @Option(names = "--token", defaultValue = "${env:INFER_TOKEN}", paramLabel = "SECRET",
            description = "Require 'Authorization: Bearer SECRET' on every endpoint but /health "
                    + "(default: $INFER_TOKEN; off when unset).")
    String token;

    @Option(names = "--health-check-interval", defaultValue = "10", paramLabel = "SECONDS",
            description = "Ask every worker for /worker_get_status this often; one that does not "
                    + "answer is skipped by dispatch until it does; 0 turns the check off "
                    + "(default: ${DEFAULT-VALUE} s).")
    double healthCheckInterval;

    @Option(names = "--health-check-timeout", defaultValue = "2", paramLabel = "SECONDS",
            converter = SecondsConverter.class,
            description = "How long a worker gets to answer a health check "
                    + "(default: ${DEFAULT-VALUE} s).")
    Duration healthCheckTimeout;

    @Option(names = "--allow-link-local-workers",
            description = "Accept workers at link-local addresses (169.254.0.0/16, fe80::/10, "
                    + "fd00:ec2::254); refused by default so that register cannot reach cloud "
                    + "metadata services.")
    boolean allowLinkLocal;

    @Mixin TlsMixin tls;

    @Override
    public Integer call() throws InterruptedException {
        if (port < 0 || port > 65535) {
            throw CliException.usage("--port must be between 0 and 65535, got " + port);
        }
        if (!(healthCheckInterval >= 0) || Double.isInfinite(healthCheckInterval)) {
            throw CliException.usage("--health-check-interval must be seconds >= 0, got "
                    + healthCheckInterval);
        }
        var serverTls = tls.server();
        var client = tls.client();
        ControllerServer server;
        try {
            server = ControllerServer.config().host(host).port(port).policy(dispatch)
                    .heartbeatExpiration(heartbeatExpiration).token(token)
                    .healthCheckInterval(Duration.ofMillis(Math.round(healthCheckInterval * 1000)))
                    .healthCheckTimeout(healthCheckTimeout).allowLinkLocal(allowLinkLocal)
                    .tls(serverTls).httpClient(client).start();
        } catch (RuntimeException e) {
            throw CliException.failure(
                    "cannot listen on " + host + ":" + port + ": " + bindCause(e), e);
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            server.close();
            stopped.countDown();
        }, "controller-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        stopped.await();
        return ExitCodes.OK;
    }

    /** The root cause of a failed bind in a few words. */
    static String bindCause(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        String message = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
        if (t instanceof java.net.BindException
                || message.toLowerCase(java.util.Locale.ROOT).contains("already in use")) {
            return "address already in use";
        }
        return message.lines().findFirst().orElse(message);
    }

    /** Converts a {@code --dispatch} name. */
    static final class PolicyConverter implements ITypeConverter<DispatchPolicy> {
        @Override
        public DispatchPolicy convert(String value) {
            try {
                return DispatchPolicy.parse(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }

    /** The {@code --dispatch} names, for help and completion. */
    static final class PolicyNames implements Iterable<String> {
        @Override
        public java.util.Iterator<String> iterator() {
            return DispatchPolicy.NAMES.iterator();
        }
    }

    /** Seconds as a positive number, with an optional trailing {@code s}. */
    static final class SecondsConverter implements ITypeConverter<Duration> {
        @Override
        public Duration convert(String value) {
            String v = value.strip();
            if (v.endsWith("s")) {
                v = v.substring(0, v.length() - 1);
            }
            double seconds;
            try {
                seconds = Double.parseDouble(v);
            } catch (NumberFormatException e) {
                throw new TypeConversionException(
                        "expected seconds, such as 90, got '" + value + "'");
            }
            if (!(seconds > 0) || Double.isInfinite(seconds)) {
                throw new TypeConversionException(
                        "must be a positive number of seconds, got '" + value + "'");
            }
            return Duration.ofMillis(Math.max(1, Math.round(seconds * 1000)));
        }
    }
}
