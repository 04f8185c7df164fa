package dev.infer.chat;

import dev.infer.protocol.ChatMessage;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A backend for driving the REPL's own mechanics: it answers "reply N to: TEXT" word by word, and
 * in {@link #hangAfterFirstWord} mode stops after the first word until it is cancelled, so a test
 * can press Ctrl-C while an answer is in progress. It records every request it got.
 */
final class ScriptedBackend implements ChatBackend {
    final List<List<ChatMessage>> requests = Collections.synchronizedList(new ArrayList<>());
    final List<ChatSettings> settings = Collections.synchronizedList(new ArrayList<>());
    private final CountDownLatch cancelled = new CountDownLatch(1);
    volatile boolean hangAfterFirstWord;
    volatile String failWith;

    @Override
    public String describe() {
        return "scripted backend";
    }

    @Override
    public List<String> models() {
        return List.of("alpha", "beta");
    }

    @Override
    public Map<String, String> details(String model) {
        Map<String, String> d = new LinkedHashMap<>();
        d.put("backend", describe());
        d.put("context_length", "2048");
        return d;
    }

    @Override
    public Answer chat(String model, List<ChatMessage> messages, ChatSettings s, Consumer<String> onDelta) {
        requests.add(List.copyOf(messages));
        settings.add(s);
        if (failWith != null) {
            throw new ChatException(failWith);
        }
        String last = messages.get(messages.size() - 1).content();
        String[] words = ("reply " + requests.size() + " to: " + last).split(" ");
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < words.length; i++) {
            String delta = (i == 0 ? "" : " ") + words[i];
            text.append(delta);
            onDelta.accept(delta);
            if (hangAfterFirstWord) {
                try {
                    if (!cancelled.await(10, TimeUnit.SECONDS)) {
                        throw new ChatException("scripted backend: never cancelled");
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return new Answer(text.toString(), model, Answer.CANCELLED, -1, -1);
            }
        }
        return new Answer(text.toString(), model, "stop", 7, words.length);
    }

    @Override
    public void cancel() {
        cancelled.countDown();
    }

    @Override
    public void close() {}
}
