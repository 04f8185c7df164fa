package dev.infer.testing;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The third-party test models in {@code ../shared/models} (beside the clone), or in the folder the
 * system property {@code infer.shared.models} names. A user's clone has no such folder: tests that
 * need one are skipped with the reason shown.
 */
public final class SharedModels {
    public static final String LLAMA_FP16 = "tiny-random-LlamaForCausalLM-fp16";
    public static final String GPT2_FP32 = "tiny-random-gpt2-fp32";
    public static final String MINILM = "all-minilm-l6-v2-q";

    private SharedModels() {}

    public static Path root() {
        String configured = System.getProperty("infer.shared.models");
        return configured != null ? Path.of(configured) : Path.of("..", "shared", "models").toAbsolutePath().normalize();
    }

    /** The model's folder, or skips the calling test when it is absent. */
    public static Path require(String name) {
        Path dir = root().resolve(name);
        assumeTrue(Files.isDirectory(dir), "skipped: shared test model " + dir + " is absent");
        return dir;
    }
}
