package dev.infer.server;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.Collection;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.eclipse.jetty.util.ssl.SslContextFactory;

/** HTTPS for the servers: a PEM certificate chain and its PEM private key. */
public final class Tls {
    private static final Pattern PKCS8 = Pattern.compile(
            "-----BEGIN PRIVATE KEY-----([A-Za-z0-9+/=\\s]+)-----END PRIVATE KEY-----");
    private static final char[] PASSWORD = "infer".toCharArray();

    private Tls() {}

    /**
     * A certificate chain ({@code --tls-cert}, PEM, leaf first) and its unencrypted PKCS#8 private
     * key ({@code --tls-key}, PEM {@code BEGIN PRIVATE KEY}; convert an RSA or EC key with
     * {@code openssl pkcs8 -topk8 -nocrypt}).
     */
    public record Server(Path cert, Path key) {
        /**
         * Reads both files into Jetty's server SSL factory.
         *
         * @throws IllegalArgumentException with a one-line reason when a file is missing or not
         *     the PEM expected
         */
        public SslContextFactory.Server contextFactory() {
            KeyStore store = keyStore();
            SslContextFactory.Server factory = new SslContextFactory.Server();
            factory.setKeyStore(store);
            factory.setKeyStorePassword(new String(PASSWORD));
            return factory;
        }

        /** Reads the files now, so that a command fails at start with a clear reason. */
        public KeyStore keyStore() {
            Collection<? extends Certificate> chain;
            try (InputStream in = Files.newInputStream(cert)) {
                chain = CertificateFactory.getInstance("X.509").generateCertificates(in);
            } catch (IOException | GeneralSecurityException e) {
                throw new IllegalArgumentException("--tls-cert " + cert + ": " + why(e), e);
            }
            if (chain.isEmpty()) {
                throw new IllegalArgumentException("--tls-cert " + cert
                        + ": no PEM certificate in it");
            }
            PrivateKey privateKey = privateKey(key, chain.iterator().next());
            try {
                KeyStore store = KeyStore.getInstance("PKCS12");
                store.load(null, null);
                store.setKeyEntry("infer", privateKey, PASSWORD,
                        chain.toArray(Certificate[]::new));
                return store;
            } catch (IOException | GeneralSecurityException e) {
                throw new IllegalArgumentException("--tls-key " + key
                        + ": does not match --tls-cert: " + why(e), e);
            }
        }
    }

    private static PrivateKey privateKey(Path file, Certificate leaf) {
        String pem;
        try {
            pem = Files.readString(file);
        } catch (IOException e) {
            throw new IllegalArgumentException("--tls-key " + file + ": " + why(e), e);
        }
        Matcher m = PKCS8.matcher(pem);
        if (!m.find()) {
            throw new IllegalArgumentException("--tls-key " + file + ": expected a PEM "
                    + "'BEGIN PRIVATE KEY' block (PKCS#8; convert with openssl pkcs8 -topk8 "
                    + "-nocrypt)");
        }
        byte[] der = Base64.getMimeDecoder().decode(m.group(1));
        String algorithm = leaf.getPublicKey().getAlgorithm();
        try {
            return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("--tls-key " + file + ": not a " + algorithm
                    + " private key: " + why(e), e);
        }
    }

    private static String why(Exception e) {
        String m = e.getMessage();
        return m == null ? e.getClass().getSimpleName() : m.lines().findFirst().orElse(m);
    }
}
