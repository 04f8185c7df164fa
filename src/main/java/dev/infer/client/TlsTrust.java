package dev.infer.client;

import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * HTTP clients that trust the servers' certificate authority ({@code --tls-ca FILE}, PEM): an
 * {@code https://} controller, worker or API server with a private CA or a self-signed
 * certificate. Without it the JVM's trust store decides ({@code -Djavax.net.ssl.trustStore}).
 */
public final class TlsTrust {
    private TlsTrust() {}

    /**
     * A client like {@link JsonHttp}'s shared one that trusts only the certificates in
     * {@code caPem}; null gives the shared client (the JVM trust store).
     *
     * @throws IllegalArgumentException with a one-line reason when the file is not PEM
     */
    public static HttpClient client(Path caPem) {
        if (caPem == null) {
            return new JsonHttp(null).client();
        }
        return HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5))
                .followRedirects(HttpClient.Redirect.NEVER)
                .sslContext(sslContext(caPem))
                .build();
    }

    /** An SSL context whose trust store holds the certificates of {@code caPem}. */
    public static SSLContext sslContext(Path caPem) {
        try (InputStream in = Files.newInputStream(caPem)) {
            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            int i = 0;
            for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                trust.setCertificateEntry("ca" + i++, c);
            }
            if (i == 0) {
                throw new IllegalArgumentException("--tls-ca " + caPem + ": no PEM certificate");
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(
                    TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, tmf.getTrustManagers(), null);
            return ctx;
        } catch (IOException | GeneralSecurityException e) {
            String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            throw new IllegalArgumentException("--tls-ca " + caPem + ": " + m, e);
        }
    }
}
