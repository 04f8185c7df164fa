package dev.infer.server;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Collection;

/** Constant-time checks of bearer credentials. */
public final class Secrets {
    private Secrets() {}

    /**
     * Whether {@code header} is {@code Bearer <one of the secrets>}. Every secret is compared
     * in full with {@link MessageDigest#isEqual}, whose time does not depend on where the bytes
     * differ, so the answer does not leak how much of a guess was right.
     */
    public static boolean bearerMatches(String header, Collection<String> secrets) {
        if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return false;
        }
        byte[] given = header.substring(7).trim().getBytes(StandardCharsets.UTF_8);
        boolean match = false;
        for (String secret : secrets) {
            match |= MessageDigest.isEqual(given, secret.getBytes(StandardCharsets.UTF_8));
        }
        return match;
    }
}
