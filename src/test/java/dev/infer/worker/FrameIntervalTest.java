package dev.infer.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.infer.protocol.Json;
import dev.infer.testing.Await;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@code --frame-interval}: a stream's progress frames come no closer than the interval, text
 * generated in between goes out in the next frame, and the first text and the end are not held.
 * Words are produced one by one by {@link ScriptedModel}, each after the previous one is out.
 */
class FrameIntervalTest {
    private static final Duration WAIT = Duration.ofSeconds(10);

    private final HttpClient http = HttpClient.newHttpClient();
    private final ScriptedModel model = new ScriptedModel();
    private WorkerServer worker;

    /** A frame as the client saw it: its JSON and when it arrived. */
    record Frame(JsonNode json, long at) {
        String text() {
            return json.get("text").asText();
        }
    }

    @AfterEach
    void stop() {
        model.release(10_000);
        if (worker != null) {
            worker.close();
        }
    }

    private void start(Duration frameInterval) {
        worker = WorkerServer.start(model, WorkerOptions.builder().port(0).register(false)
                .frameInterval(frameInterval).build());
    }

    /** Opens a stream of {@code words} words and collects its non-empty frames as they come. */
    private CompletableFuture<Void> stream(int words, List<Frame> frames) {
        HttpRequest request = HttpRequest.newBuilder(
                URI.create(worker.address() + "/worker_generate_stream"))
                .POST(HttpRequest.BodyPublishers.ofString(
                        "{\"prompt\": \"hello there\", \"max_new_tokens\": " + words + "}"))
                .build();
        return CompletableFuture.runAsync(() -> {
            try (InputStream in = http.send(request, HttpResponse.BodyHandlers.ofInputStream())
                    .body()) {
                ByteArrayOutputStream frame = new ByteArrayOutputStream();
                int b;
                while ((b = in.read()) != -1) {
                    if (b != 0) {
                        frame.write(b);
                    } else if (frame.size() > 0) {
                        frames.add(new Frame(Json.mapper().readTree(
                                frame.toString(StandardCharsets.UTF_8)), System.nanoTime()));
                        frame.reset();
                    }
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
    }

    /** Lets the generation produce one more word and waits until it has. */
    private void nextWord() {
        int before = model.produced.get();
        model.release(1);
        Await.until(WAIT, "word " + (before + 1), () -> model.produced.get() > before);
    }

    @Test
    void words_within_the_interval_go_out_together_and_the_end_is_not_held() throws Exception {
        start(Duration.ofMillis(1000));
        List<Frame> frames = new CopyOnWriteArrayList<>();
        CompletableFuture<Void> done = stream(4, frames);
        model.release(1);
        // The first text goes out at once, alone: the next word is not even allowed yet.
        Await.until(WAIT, "the first frame", () -> !frames.isEmpty());
        assertEquals("w0", frames.get(0).text());
        nextWord();
        nextWord();
        nextWord();
        done.get(WAIT.toSeconds(), TimeUnit.SECONDS);

        Frame last = frames.get(frames.size() - 1);
        assertEquals("w0 w1 w2 w3", last.text());
        assertEquals("length", last.json().get("finish_reason").asText());
        // Between the first frame and the end, at most one progress frame per full interval
        // (none at all unless the machine stalled for a second); a frame per word would be 3.
        long intervals = (last.at() - frames.get(0).at()) / Duration.ofMillis(1000).toNanos();
        int progressAfterFirst = frames.size() - 2;
        assertTrue(progressAfterFirst <= intervals,
                progressAfterFirst + " progress frames in " + intervals + " intervals: " + frames);
    }

    @Test
    void a_zero_interval_sends_every_word_a_reader_keeps_up_with() throws Exception {
        start(Duration.ZERO);
        List<Frame> frames = new CopyOnWriteArrayList<>();
        CompletableFuture<Void> done = stream(4, frames);
        for (int i = 1; i <= 3; i++) {
            int seen = i;
            model.release(1);
            Await.until(WAIT, "frame " + seen, () -> frames.size() >= seen);
        }
        // The last word ends the generation, so its text comes in the final frame.
        model.release(1);
        done.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertEquals(List.of("w0", "w0 w1", "w0 w1 w2", "w0 w1 w2 w3"),
                frames.stream().map(Frame::text).toList());
    }
}
