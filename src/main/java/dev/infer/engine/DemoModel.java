package dev.infer.engine;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The demo model built into the jar: a tiny decoder trained on Debian's fortune files by
 * {@code tools/demo-model/train.py}, good for trying the plumbing, not for answers.
 *
 * <p>ONNX Runtime and the tokenizer read files, so {@link #path()} copies the resource folder to
 * {@code ${XDG_CACHE_HOME:-~/.cache}/infer/demo-model-<hash>/infer-demo} once (the hash covers
 * every file, so a new model gets a new folder) and returns that folder. The resource {@code files.sha256} lists
 * the folder's files, since a jar cannot be listed like a directory.
 */
public final class DemoModel {
    private static final Logger log = LoggerFactory.getLogger(DemoModel.class);
    private static final String RESOURCE_DIR = "demo-model/";
    private static final String INDEX = "files.sha256";

    /** The name the demo model is served under. */
    public static final String NAME = "infer-demo";

    private static Path extracted;

    private DemoModel() {}

    /**
     * The demo model's folder, extracted on first use. Safe to call from several threads and
     * processes: each extracts into a temporary folder and renames it into place.
     *
     * @throws EngineException {@code BAD_MODEL} when the jar lacks the model or it cannot be written
     */
    public static synchronized Path path() {
        if (extracted == null || !Files.isDirectory(extracted)) {
            extracted = extract(cacheRoot());
        }
        return extracted;
    }

    /** Extracts into {@code root} (created if needed); falls back to a temporary folder. */
    static Path extract(Path root) {
        byte[] index = resource(INDEX);
        List<Entry> entries = parse(new String(index, StandardCharsets.UTF_8));
        String id = HexFormat.of().formatHex(sha256(index)).substring(0, 12);
        // The folder's name is the name a model is served under by default.
        Path parent = root.resolve("demo-model-" + id);
        Path target = parent.resolve(NAME);
        try {
            if (complete(target, entries)) {
                return target;
            }
            Files.createDirectories(parent);
            Path temp = Files.createTempDirectory(parent, ".partial-");
            write(temp, entries);
            try {
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
                log.info("Extracted the demo model to {}", target);
            } catch (IOException e) {
                // Another process won the race (the target exists, not empty): keep theirs.
                deleteTree(temp);
                if (!complete(target, entries)) {
                    throw e;
                }
            }
            return target;
        } catch (IOException e) {
            log.warn("Cannot extract the demo model under {} ({}); using a temporary folder",
                    root, e.toString());
            return extractToTemp(entries);
        }
    }

    private static Path extractToTemp(List<Entry> entries) {
        try {
            Path parent = Files.createTempDirectory("infer-demo-model-");
            Path dir = Files.createDirectory(parent.resolve(NAME));
            parent.toFile().deleteOnExit();
            dir.toFile().deleteOnExit();
            write(dir, entries);
            for (Entry e : entries) {
                dir.resolve(e.name()).toFile().deleteOnExit();
            }
            return dir;
        } catch (IOException e) {
            throw new EngineException(EngineException.Reason.BAD_MODEL,
                    "cannot extract the demo model: " + e.getMessage(), e);
        }
    }

    private static Path cacheRoot() {
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg)
                : Path.of(System.getProperty("user.home"), ".cache");
        return base.resolve("infer");
    }

    private static boolean complete(Path dir, List<Entry> entries) {
        if (!Files.isDirectory(dir)) {
            return false;
        }
        for (Entry e : entries) {
            Path file = dir.resolve(e.name());
            // The folder only appears by an atomic rename of a complete copy, so presence will do.
            if (!Files.isRegularFile(file)) {
                return false;
            }
        }
        return true;
    }

    private static void write(Path dir, List<Entry> entries) throws IOException {
        for (Entry e : entries) {
            byte[] bytes = resource(e.name());
            String actual = HexFormat.of().formatHex(sha256(bytes));
            if (!actual.equals(e.sha256())) {
                throw new EngineException(EngineException.Reason.BAD_MODEL, "demo model file "
                        + e.name() + " is corrupt in the jar (sha256 " + actual + ")");
            }
            Files.write(dir.resolve(e.name()), bytes);
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        try (var files = Files.walk(dir)) {
            for (Path p : files.sorted((a, b) -> b.compareTo(a)).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    private static byte[] resource(String name) {
        try (InputStream in = DemoModel.class.getResourceAsStream(RESOURCE_DIR + name)) {
            if (in == null) {
                throw new EngineException(EngineException.Reason.BAD_MODEL,
                        "the demo model is missing from this build (no resource " + name + ")");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Reads {@code sha256sum} output: "HASH  NAME" per line. */
    private static List<Entry> parse(String index) {
        List<Entry> entries = new ArrayList<>();
        for (String line : index.split("\n")) {
            String[] parts = line.trim().split("\\s+");
            if (parts.length == 2) {
                entries.add(new Entry(parts[1], parts[0]));
            }
        }
        return entries;
    }

    private static byte[] sha256(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }

    private record Entry(String name, String sha256) {}
}
