package dev.infer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** Keeps the package layout honest: each part imports only the parts STYLE.md allows. */
class ArchitectureTest {
    private static final Path SOURCES = Path.of("src/main/java/dev/infer");
    private static final Pattern IMPORT = Pattern.compile("^import\\s+(?:static\\s+)?([\\w.]+)", Pattern.MULTILINE);
    private static final Pattern FQN = Pattern.compile("\\bdev\\.infer\\.(\\w+)\\.");

    private static final Map<String, Set<String>> ALLOWED = Map.of(
            "cli", Set.of("controller", "worker", "openai", "chat", "server", "client", "engine", "protocol", "metrics"),
            "controller", Set.of("server", "client", "protocol", "metrics"),
            "worker", Set.of("server", "client", "engine", "protocol", "metrics"),
            "openai", Set.of("server", "client", "protocol", "metrics"),
            "chat", Set.of("client", "engine", "protocol"),
            "server", Set.of("protocol", "metrics"),
            "client", Set.of("protocol"),
            "engine", Set.of(),
            "protocol", Set.of(),
            "metrics", Set.of());

    /** Third-party packages a part must not touch, by prefix. */
    private static final Map<String, List<String>> FORBIDDEN_LIBRARIES = Map.of(
            "engine", List.of("io.javalin", "java.net.http", "org.eclipse.jetty"),
            "protocol", List.of("io.javalin", "ai.onnxruntime", "java.net.http"),
            "client", List.of("io.javalin", "ai.onnxruntime"),
            "controller", List.of("ai.onnxruntime", "ai.djl"),
            "openai", List.of("ai.onnxruntime", "ai.djl"),
            "chat", List.of("io.javalin"),
            "metrics", List.of("io.javalin"));

    @Test
    void every_package_imports_only_what_the_layout_allows() throws IOException {
        List<String> violations = new ArrayList<>();
        try (Stream<Path> files = Files.walk(SOURCES)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                String part = SOURCES.relativize(file).getName(0).toString();
                if (file.getParent().equals(SOURCES)) {
                    continue;
                }
                String source = Files.readString(file);
                Set<String> allowed = ALLOWED.get(part);
                assertTrue(allowed != null, "unknown package dev.infer." + part + " (" + file + "): add it to the layout");
                for (String used : referencedParts(source)) {
                    if (!used.equals(part) && !allowed.contains(used)) {
                        violations.add(file + " uses dev.infer." + used);
                    }
                }
                Matcher m = IMPORT.matcher(source);
                while (m.find()) {
                    for (String lib : FORBIDDEN_LIBRARIES.getOrDefault(part, List.of())) {
                        if (m.group(1).startsWith(lib)) {
                            violations.add(file + " imports " + m.group(1));
                        }
                    }
                }
            }
        }
        assertEquals(List.of(), violations);
    }

    @Test
    void every_package_has_a_package_info() throws IOException {
        try (Stream<Path> dirs = Files.list(SOURCES)) {
            for (Path dir : dirs.filter(Files::isDirectory).toList()) {
                assertTrue(Files.exists(dir.resolve("package-info.java")), dir + " lacks package-info.java");
            }
        }
    }

    private static Set<String> referencedParts(String source) {
        Set<String> parts = new java.util.HashSet<>();
        Matcher m = FQN.matcher(source);
        while (m.find()) {
            parts.add(m.group(1));
        }
        return parts;
    }
}
