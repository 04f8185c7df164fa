package dev.infer.cli;

import dev.infer.client.TlsTrust;
import dev.infer.server.Tls;
import java.net.http.HttpClient;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * {@code --tls-cert}, {@code --tls-key} and {@code --tls-ca} for the server commands: serve
 * HTTPS, and trust a private CA when calling the other servers of the cluster.
 */
public final class TlsMixin {
    @Option(names = "--tls-cert", paramLabel = "FILE",
            description = "Serve HTTPS with this PEM certificate chain (with --tls-key).")
    Path cert;

    @Option(names = "--tls-key", paramLabel = "FILE",
            description = "The PEM (PKCS#8) private key of --tls-cert.")
    Path key;

    @Option(names = "--tls-ca", paramLabel = "FILE",
            description = "Trust the PEM certificates in FILE when calling https:// controllers "
                    + "and workers (default: the JVM trust store).")
    Path ca;

    /** The server certificate, read and checked now; null for plain HTTP. */
    Tls.Server server() {
        if ((cert == null) != (key == null)) {
            throw CliException.usage("--tls-cert and --tls-key go together");
        }
        if (cert == null) {
            return null;
        }
        Tls.Server tls = new Tls.Server(cert, key);
        try {
            tls.keyStore();
        } catch (IllegalArgumentException e) {
            throw CliException.usage(e.getMessage());
        }
        return tls;
    }

    /** A client that trusts {@code --tls-ca}; null for the default client. */
    HttpClient client() {
        if (ca == null) {
            return null;
        }
        try {
            return TlsTrust.client(ca);
        } catch (IllegalArgumentException e) {
            throw CliException.usage(e.getMessage());
        }
    }
}
