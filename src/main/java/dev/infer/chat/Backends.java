package dev.infer.chat;

import dev.infer.client.ControllerClient;
import dev.infer.engine.DemoModel;
import dev.infer.engine.EngineException;
import dev.infer.engine.LoadedModel;
import dev.infer.engine.ModelOptions;
import dev.infer.engine.Models;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Chooses and opens the backend {@code infer chat} talks to, from its flags: {@code --model-path}
 * loads the model in this process; {@code --api} uses an OpenAI-compatible server; {@code
 * --controller} the cluster. With none of them, a controller at {@code INFER_CONTROLLER} (or the
 * default address) is used if it answers, and otherwise the demo model built into the jar.
 */
public final class Backends {
    private static final Logger log = LoggerFactory.getLogger(Backends.class);

    /** Loads a model folder; the engine's {@code Models.load} in production. */
    @FunctionalInterface
    public interface ModelLoader {
        LoadedModel load(Path dir, ModelOptions options);
    }

    /**
     * What the flags asked for.
     *
     * @param controller {@code --controller}, or null
     * @param envController {@code INFER_CONTROLLER}, or null
     * @param api {@code --api}, or null
     * @param modelPath {@code --model-path}, or null
     * @param token {@code --token} for controller and workers, or null
     * @param apiKey {@code --api-key} for the OpenAI-compatible API, or null
     * @param timeout how long to wait for a server's first answer
     */
    public record Choice(String controller, String envController, String api, Path modelPath,
            String token, String apiKey, Duration timeout) {}

    private Backends() {}

    /**
     * Opens the backend the choice names and checks that it answers.
     *
     * @throws ChatException naming what was tried when nothing answers
     */
    public static ChatBackend open(Choice choice, ModelLoader loader) {
        if (choice.modelPath() != null) {
            return inProcess(choice.modelPath(), loader);
        }
        if (choice.api() != null) {
            return checked(new OpenAiBackend(choice.api(), choice.apiKey(), choice.timeout()));
        }
        if (choice.controller() != null) {
            return checked(new ControllerBackend(choice.controller(), choice.token(), choice.timeout()));
        }
        String url = choice.envController() != null ? choice.envController() : ControllerClient.DEFAULT_URL;
        ControllerBackend cluster = new ControllerBackend(url, choice.token(), Duration.ofSeconds(2));
        try {
            cluster.models();
            return new ControllerBackend(url, choice.token(), choice.timeout());
        } catch (ChatException e) {
            Optional<Path> demo = demoModelPath();
            if (demo.isPresent()) {
                log.info("{}; using the built-in demo model", e.getMessage());
                return inProcess(demo.get(), loader);
            }
            throw new ChatException(e.getMessage() + " and no --model-path", e);
        }
    }

    private static ChatBackend checked(ChatBackend backend) {
        backend.models();
        return backend;
    }

    /** Loads {@code dir} in this process. */
    public static ChatBackend inProcess(Path dir, ModelLoader loader) {
        if (!Files.isDirectory(dir)) {
            throw new ChatException("no model folder at " + dir);
        }
        try {
            LoadedModel model = loader.load(dir, ModelOptions.defaults());
            return new InProcessBackend(model, dir.toString());
        } catch (EngineException e) {
            throw new ChatException("cannot load the model in " + dir + ": " + e.getMessage(), e);
        }
    }

    /** The engine's loader: loads a model folder into ONNX Runtime. */
    public static LoadedModel loadWithEngine(Path dir, ModelOptions options) {
        return Models.load(dir, options);
    }

    /** The demo model built into the jar, unpacked; empty when it cannot be unpacked. */
    public static Optional<Path> demoModelPath() {
        try {
            return Optional.of(DemoModel.path());
        } catch (EngineException e) {
            log.warn("the built-in demo model cannot be used: {}", e.getMessage());
            return Optional.empty();
        }
    }
}
