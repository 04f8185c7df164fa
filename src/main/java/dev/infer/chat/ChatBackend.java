package dev.infer.chat;

import dev.infer.protocol.ChatMessage;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Where answers come from: a cluster (through a controller or an OpenAI-compatible API) or a model
 * loaded in this process. One conversation at a time: {@link #chat} is called from one thread, and
 * {@link #cancel} may be called from any other.
 */
public interface ChatBackend extends AutoCloseable {
    /** What this backend talks to, for messages: {@code controller http://127.0.0.1:21001}. */
    String describe();

    /** The models that can be asked, never empty. */
    List<String> models();

    /** Facts about a model for {@code /show} (context length, worker address...), in order. */
    Map<String, String> details(String model);

    /**
     * Asks for the answer to {@code messages} (the system prompt first, if any, and the user's last
     * turn last), handing each new piece of text to {@code onDelta} on the calling thread as it is
     * generated. Blocks until the answer is complete or {@link #cancel}led; a cancelled answer is
     * returned with what was generated so far and finish reason {@link Answer#CANCELLED}.
     *
     * @throws ChatException when the answer fails; the message is one line naming the peer
     */
    Answer chat(String model, List<ChatMessage> messages, ChatSettings settings,
            Consumer<String> onDelta);

    /** Stops the answer in progress, if any; safe to call from any thread, at any time. */
    void cancel();

    @Override
    void close();
}
