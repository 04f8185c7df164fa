package dev.infer.chat;

import dev.infer.protocol.ChatMessage;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/** Passes everything to a real backend, counting the pieces of answers it streams. */
record CountingBackend(ChatBackend real, AtomicInteger deltas) implements ChatBackend {
    @Override
    public String describe() {
        return real.describe();
    }

    @Override
    public List<String> models() {
        return real.models();
    }

    @Override
    public Map<String, String> details(String m) {
        return real.details(m);
    }

    @Override
    public Answer chat(String m, List<ChatMessage> messages, ChatSettings s, Consumer<String> onDelta) {
        return real.chat(m, messages, s, d -> {
            onDelta.accept(d);
            deltas.incrementAndGet();
        });
    }

    @Override
    public void cancel() {
        real.cancel();
    }

    @Override
    public void close() {}
}
