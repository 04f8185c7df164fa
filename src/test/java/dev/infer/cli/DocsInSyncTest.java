package dev.infer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The checked-in completions and man pages must be what the current commands generate. */
class DocsInSyncTest {
    private static final String REGENERATE = "; regenerate with 'mvn -q -B -Pdocs process-test-classes'";

    @Test
    void checked_in_completions_and_man_sources_match_the_command_model() throws IOException {
        for (Map.Entry<Path, String> file : DocsGenerator.generate().entrySet()) {
            Path path = file.getKey();
            assertTrue(Files.isRegularFile(path), path + " is missing" + REGENERATE);
            assertEquals(file.getValue(), Files.readString(path, StandardCharsets.UTF_8),
                    path + " is out of date" + REGENERATE);
        }
    }

    @Test
    void every_command_has_exactly_one_roff_man_page() throws IOException {
        Set<String> expected = DocsGenerator.generate().keySet().stream()
                .filter(p -> p.startsWith(DocsGenerator.MAN_ADOC))
                .map(p -> p.getFileName().toString().replace(".adoc", ".1"))
                .collect(Collectors.toCollection(TreeSet::new));
        Set<String> actual;
        try (var files = Files.list(Path.of("man"))) {
            actual = files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".1"))
                    .collect(Collectors.toCollection(TreeSet::new));
        }
        assertEquals(expected, actual, "man/*.1 do not match the commands" + REGENERATE);
    }
}
