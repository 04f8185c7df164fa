package dev.infer.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.infer.engine.TinyModels.Layout;
import dev.infer.engine.TinyModels.Weights;
import dev.infer.testing.Await;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Continuous batching on the tests' own tiny decoders (position embeddings, masked attention):
 * a request gives the same tokens in a batch as alone ({@link DecoderModel#submitAlone} on the
 * same session), whoever it shares the batch with and whenever it joins or leaves.
 */
class BatchingTest {
    @TempDir
    static Path tmp;
    static DecoderModel optimum;
    static DecoderModel stacked;

    static final List<String> PROMPTS = List.of("the", "cat sat on the mat and", "dog ran",
            "the cat and the dog sat on", "mat", "ran and ran");

    @BeforeAll
    static void load() throws IOException {
        optimum = (DecoderModel) Models.load(TinyModels.write(tmp.resolve("optimum"),
                Weights.RANDOM, Layout.OPTIMUM), new ModelOptions(null, 1, 8));
        stacked = (DecoderModel) Models.load(TinyModels.write(tmp.resolve("stacked"),
                Weights.RANDOM, Layout.STACKED), new ModelOptions(null, 1, 4, 8));
    }

    @AfterAll
    static void close() {
        optimum.close();
        stacked.close();
    }

    static GenerationResult await(Generation g) {
        try {
            return g.result().get(20, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    static List<GenerationRequest> mixed() {
        List<GenerationRequest> requests = new ArrayList<>();
        for (int i = 0; i < PROMPTS.size(); i++) {
            // Different lengths and limits: rows leave the batch at different steps.
            requests.add(GenerationRequest.greedy(PROMPTS.get(i), 10 + 7 * i));
        }
        requests.add(new GenerationRequest("the cat", 30, new SamplingParams(1.0, 0.9, 5, 1.2,
                7L), List.of(), List.of(), false));
        requests.add(new GenerationRequest("dog", 1, SamplingParams.GREEDY, List.of(), List.of(),
                true));
        return requests;
    }

    /**
     * Submits all requests to the batch together (the first one's first token holds the batch
     * thread until the rest are queued, so they join at one step as far as room allows), then
     * checks each against the same request run alone.
     */
    static void assertBatchEqualsAlone(DecoderModel model, List<GenerationRequest> requests,
            int largestBatch) {
        model.takeLargestBatch();
        CountDownLatch queued = new CountDownLatch(1);
        List<Generation> batched = new ArrayList<>();
        batched.add(model.submit(requests.get(0), (text, delta, n) -> {
            try {
                queued.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }));
        requests.subList(1, requests.size())
                .forEach(r -> batched.add(model.submit(r, GenerationListener.NONE)));
        queued.countDown();
        for (Generation g : batched) {
            await(g);
        }
        int largest = model.takeLargestBatch();
        assertTrue(largest >= largestBatch, "largest batch " + largest);
        for (int i = 0; i < requests.size(); i++) {
            GenerationResult alone = await(model.submitAlone(requests.get(i),
                    GenerationListener.NONE));
            GenerationResult together = await(batched.get(i));
            assertEquals(alone.text(), together.text(), "request " + i);
            assertEquals(alone.completionTokens(), together.completionTokens(), "request " + i);
            assertEquals(alone.finishReason(), together.finishReason(), "request " + i);
        }
    }

    @Test
    void batched_requests_of_different_lengths_generate_exactly_what_they_do_alone() {
        assertEquals(8, optimum.info().maxBatchSize());
        // All 8 join at one step; the one with max_new_tokens 1 ends at its prefill.
        assertBatchEqualsAlone(optimum, mixed(), 7);
    }

    @Test
    void stacked_past_layout_batches_with_a_small_prefill_budget_and_matches_alone() {
        // Batch size 4 and 8 prefill tokens: requests wait for room and join over several steps.
        assertEquals(4, stacked.info().maxBatchSize());
        assertBatchEqualsAlone(stacked, mixed(), 2);
    }

    @Test
    void a_sequence_joining_mid_batch_gets_its_alone_output_and_so_does_the_running_one() {
        GenerationRequest first = GenerationRequest.greedy("the cat sat", 40);
        GenerationRequest second = GenerationRequest.greedy("dog and", 20);
        AtomicReference<Generation> joined = new AtomicReference<>();
        List<Integer> runningWhenJoined = new CopyOnWriteArrayList<>();
        Generation a = optimum.submit(first, (text, delta, n) -> {
            if (n == 5) {
                // Submitted from the scheduler's own thread: it joins at the very next step.
                joined.set(optimum.submit(second, (t2, d2, n2) -> {
                    if (n2 == 1) {
                        runningWhenJoined.add(n);
                    }
                }));
            }
        });
        GenerationResult ra = await(a);
        GenerationResult rb = await(joined.get());
        assertEquals(List.of(5), runningWhenJoined);
        assertEquals(await(optimum.submitAlone(first, null)).text(), ra.text());
        assertEquals(await(optimum.submitAlone(second, null)).text(), rb.text());
    }

    @Test
    void a_request_cancelled_mid_batch_frees_its_slot_at_the_next_step() throws Exception {
        try (DecoderModel two = (DecoderModel) Models.load(tmp.resolve("optimum"),
                new ModelOptions("two", 1, 2))) {
            CompletableFuture<Generation> a = new CompletableFuture<>();
            CompletableFuture<Boolean> bRunningWhenCJoined = new CompletableFuture<>();
            a.complete(two.submit(GenerationRequest.greedy("the", 60), (text, delta, n) -> {
                if (n == 3) {
                    // The batch thread may get here before submit() has returned to the test.
                    a.join().cancel();
                }
            }));
            Generation b = two.submit(GenerationRequest.greedy("cat", 60), null);
            AtomicReference<Generation> bRef = new AtomicReference<>(b);
            Generation c = two.submit(GenerationRequest.greedy("dog", 5), (text, delta, n) -> {
                if (n == 1) {
                    bRunningWhenCJoined.complete(!bRef.get().result().isDone());
                }
            });
            GenerationResult ra = await(a.join());
            assertEquals(FinishReason.CANCELLED, ra.finishReason());
            // The listener runs on the text thread, which may trail the batch thread by the
            // hand-over queue and the step in flight; the batch drops the row at the step after
            // cancel() returns, so at most that many more tokens were computed.
            assertTrue(ra.completionTokens() >= 3
                    && ra.completionTokens() <= 3 + BatchScheduler.TEXT_BACKLOG + 1,
                    "cancelled after " + ra.completionTokens() + " tokens");
            assertTrue(bRunningWhenCJoined.get(20, TimeUnit.SECONDS),
                    "the waiting request took the cancelled one's slot while the other ran");
            assertEquals(await(two.submitAlone(GenerationRequest.greedy("dog", 5), null)).text(),
                    await(c).text());
            assertEquals(60, await(b).completionTokens());
        }
    }

    @Test
    void stop_strings_and_streaming_work_inside_a_batch() {
        String full = await(optimum.submitAlone(GenerationRequest.greedy("cat sat", 30), null))
                .text();
        String[] words = full.strip().split(" ");
        String stop = " " + words[4] + " " + words[5];
        List<String> streamed = new CopyOnWriteArrayList<>();
        List<Generation> others = new ArrayList<>();
        for (String p : PROMPTS) {
            others.add(optimum.submit(GenerationRequest.greedy(p, 30), null));
        }
        GenerationResult r = await(optimum.submit(new GenerationRequest("cat sat", 30,
                SamplingParams.GREEDY, List.of(stop), List.of(), false),
                (text, delta, n) -> streamed.add(text)));
        others.forEach(BatchingTest::await);
        assertEquals(full.substring(0, full.indexOf(stop)), r.text());
        assertEquals(FinishReason.STOP, r.finishReason());
        assertFalse(streamed.isEmpty());
        streamed.forEach(t -> assertFalse(t.contains(stop), t));
    }

    @Test
    void a_listener_that_throws_fails_its_own_generation_and_the_batch_carries_on() {
        GenerationRequest other = GenerationRequest.greedy("the cat sat", 25);
        Generation running = optimum.submit(other, null);
        Generation failing = optimum.submit(GenerationRequest.greedy("dog", 25),
                (text, delta, n) -> {
                    if (n == 3) {
                        throw new IllegalStateException("listener broke");
                    }
                });
        java.util.concurrent.ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(
                java.util.concurrent.ExecutionException.class,
                () -> failing.result().get(20, TimeUnit.SECONDS));
        assertTrue(e.getCause().getMessage().contains("listener broke"), e.getMessage());
        assertEquals(await(optimum.submitAlone(other, null)).text(), await(running).text());
    }

    @Test
    void export_with_a_batch_dimension_fixed_at_one_decodes_sequence_by_sequence()
            throws IOException {
        Path dir = TinyModels.write(tmp.resolve("fixed"), Weights.RANDOM, Layout.OPTIMUM, 1);
        try (LoadedModel fixed = Models.load(dir, new ModelOptions(null, 1, 8))) {
            assertEquals(1, fixed.info().maxBatchSize());
            assertTrue(fixed.info().description().contains("no batching"));
            List<Generation> gs = new ArrayList<>();
            for (String p : PROMPTS) {
                gs.add(fixed.submit(GenerationRequest.greedy(p, 12), null));
            }
            for (int i = 0; i < gs.size(); i++) {
                assertEquals(await(optimum.submitAlone(GenerationRequest.greedy(PROMPTS.get(i),
                        12), null)).text(), await(gs.get(i)).text());
            }
        }
    }

    @Test
    void model_without_kv_inputs_decodes_sequence_by_sequence() throws IOException {
        Path dir = TinyModels.write(tmp.resolve("nocache"), Weights.RANDOM, Layout.NONE);
        try (LoadedModel plain = Models.load(dir, new ModelOptions(null, 1, 8))) {
            assertEquals(1, plain.info().maxBatchSize());
            assertFalse(plain.info().kvCache());
            GenerationRequest req = GenerationRequest.greedy("cat and dog", 20);
            assertEquals(await(optimum.submitAlone(req, null)).text(),
                    await(plain.submit(req, null)).text());
        }
    }

    @Test
    void closing_a_batching_model_cancels_its_running_and_waiting_generations() {
        DecoderModel model = (DecoderModel) Models.load(tmp.resolve("optimum"),
                new ModelOptions("closing", 1, 2));
        CompletableFuture<Void> started = new CompletableFuture<>();
        List<Generation> gs = new CopyOnWriteArrayList<>();
        for (int i = 0; i < 3; i++) {
            gs.add(model.submit(GenerationRequest.greedy("the", 60), (text, delta, n) -> {
                started.complete(null);
                // Holds the batch thread until close() has cancelled everyone, so nothing ends
                // on its own first.
                Await.until(Duration.ofSeconds(10), "close to cancel the generations",
                        () -> gs.stream().allMatch(g -> ((RunningGeneration) g).cancelled()));
            }));
        }
        started.join();
        model.close();
        for (Generation g : gs) {
            assertEquals(FinishReason.CANCELLED, await(g).finishReason());
        }
    }
}
