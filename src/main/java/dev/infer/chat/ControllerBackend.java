package dev.infer.chat;

import dev.infer.client.ClientException;
import dev.infer.client.ControllerClient;
import dev.infer.client.JsonHttp;
import dev.infer.client.WorkerClient;
import dev.infer.protocol.ChatMessage;
import dev.infer.protocol.GenerateChunk;
import dev.infer.protocol.GenerateRequest;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers through the cluster: asks the controller for a worker serving the model, then streams
 * {@code /worker_generate_stream} from that worker with {@code messages}, so the worker renders the
 * model's own chat template. Worker addresses are remembered per model and asked again once when a
 * worker cannot be reached before it answers.
 */
public final class ControllerBackend implements ChatBackend {
    private static final Logger log = LoggerFactory.getLogger(ControllerBackend.class);

    private final ControllerClient controller;
    private final WorkerClient workers;
    private final Map<String, String> addresses = new ConcurrentHashMap<>();
    private final InFlight inFlight = new InFlight();

    /**
     * @param token the cluster's shared secret ({@code --token}), or null
     * @param timeout how long to wait for the controller, and for a worker's first bytes
     */
    public ControllerBackend(String url, String token, Duration timeout) {
        JsonHttp http = new JsonHttp(token);
        this.controller = new ControllerClient(url, http, timeout);
        this.workers = new WorkerClient(http, timeout);
    }

    @Override
    public String describe() {
        return "controller " + controller.baseUrl();
    }

    @Override
    public List<String> models() {
        List<String> models;
        try {
            models = controller.listModels().stream().sorted().toList();
        } catch (ClientException e) {
            throw new ChatException("no controller at " + controller.baseUrl() + " (" + why(e) + ")", e);
        }
        if (models.isEmpty()) {
            throw new ChatException("the controller at " + controller.baseUrl()
                    + " has no workers; start one with 'infer worker --model-path DIR'");
        }
        return models;
    }

    @Override
    public Map<String, String> details(String model) {
        Map<String, String> d = new LinkedHashMap<>();
        d.put("backend", describe());
        String address = address(model, false);
        d.put("worker", address);
        try {
            d.put("context_length", Integer.toString(workers.contextLength(address)));
        } catch (ClientException e) {
            d.put("context_length", "unknown (" + e.getMessage() + ")");
        }
        return d;
    }

    @Override
    public Answer chat(String model, List<ChatMessage> messages, ChatSettings settings,
            Consumer<String> onDelta) {
        GenerateRequest request = new GenerateRequest(model, null, messages, settings.temperature(),
                settings.topP(), null, null, settings.maxTokens(), null, null, null, null, null,
                null);
        String address = address(model, false);
        StringBuilder shown = new StringBuilder();
        inFlight.begin();
        try {
            GenerateChunk last;
            try {
                last = stream(address, request, shown, onDelta);
            } catch (ClientException e) {
                if (e.kind() != ClientException.Kind.UNREACHABLE || shown.length() > 0
                        || inFlight.cancelled()) {
                    throw e;
                }
                log.warn("worker {} unreachable before answering; asking the controller again", address);
                address = address(model, true);
                last = stream(address, request, shown, onDelta);
            }
            if (last.isError()) {
                throw new ChatException("worker " + address + ": " + last.text());
            }
            int prompt = last.usage() == null ? -1 : last.usage().promptTokens();
            int completion = last.usage() == null ? -1 : last.usage().completionTokens();
            return new Answer(shown.toString(), model, last.finishReason(), prompt, completion);
        } catch (ClientException | Cancelled e) {
            if (inFlight.cancelled()) {
                return new Answer(shown.toString(), model, Answer.CANCELLED, -1, -1);
            }
            throw new ChatException(e.getMessage(), e);
        } finally {
            inFlight.end();
        }
    }

    private GenerateChunk stream(String address, GenerateRequest request, StringBuilder shown,
            Consumer<String> onDelta) {
        return workers.generateStream(address, request, chunk -> {
            if (inFlight.cancelled()) {
                throw new Cancelled();
            }
            // FastChat sends the whole text so far in every chunk; hand on only what is new.
            String text = chunk.isError() || chunk.text() == null ? "" : chunk.text();
            if (text.length() > shown.length() && text.startsWith(shown.toString())) {
                String delta = text.substring(shown.length());
                shown.append(delta);
                onDelta.accept(delta);
            }
        });
    }

    @Override
    public void cancel() {
        inFlight.cancel();
    }

    private String address(String model, boolean fresh) {
        if (!fresh) {
            String known = addresses.get(model);
            if (known != null) {
                return known;
            }
        }
        String address;
        try {
            address = controller.workerAddress(model);
        } catch (ClientException e) {
            throw new ChatException("no controller at " + controller.baseUrl() + " (" + why(e) + ")", e);
        }
        if (address.isEmpty()) {
            addresses.remove(model);
            throw new ChatException("no worker serves model '" + model + "' (asked the controller at "
                    + controller.baseUrl() + ")");
        }
        addresses.put(model, address);
        return address;
    }

    /** The reason part of a client failure's message, without the URL it starts with. */
    static String why(ClientException e) {
        String m = e.getMessage();
        int colon = m.indexOf(": ");
        return colon >= 0 ? m.substring(colon + 2) : m;
    }

    @Override
    public void close() {
        // Nothing to release: the HTTP client is shared.
    }

    /** Thrown from the chunk callback to leave a stream the user cancelled. */
    private static final class Cancelled extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Cancelled() {
            super("cancelled", null, false, false);
        }
    }
}
