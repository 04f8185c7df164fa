package dev.infer.openai;

import dev.infer.openai.GenerateParams.Plan;
import dev.infer.openai.ResponseShape.Choice;
import dev.infer.openai.ResponseShape.Header;
import dev.infer.protocol.GenerateChunk;
import dev.infer.protocol.GenerateRequest;
import dev.infer.protocol.Usage;
import java.io.IOException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs chat and legacy completions on workers, streamed or whole. Every choice is a generate
 * stream of its own; with {@code n > 1} they run side by side. A streamed response is committed
 * (status 200, SSE headers) only once every choice has its first chunk, so that a failure before
 * that still gets its proper HTTP status. Thread-safe.
 */
final class Completions {
    private static final Logger log = LoggerFactory.getLogger(Completions.class);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Upstream upstream;
    private final ApiMetrics metrics;
    private final ExecutorService executor;
    private final String fingerprint;

    Completions(Upstream upstream, ApiMetrics metrics, ExecutorService executor,
            String fingerprint) {
        this.upstream = upstream;
        this.metrics = metrics;
        this.executor = executor;
        this.fingerprint = fingerprint;
    }

    /** Generates every choice to its end and returns the whole response object. */
    Object complete(ResponseShape shape, Plan plan) {
        upstream.router().requireModel(plan.model());
        Header header = header(shape, plan.model());
        List<GenerateChunk> finals = each(plan.requests(), request -> {
            try (Upstream.Opened opened = upstream.open(request)) {
                GenerateChunk chunk;
                do {
                    chunk = opened.next();
                } while (chunk.finishReason() == null);
                return chunk;
            }
        });
        List<Choice> choices = new ArrayList<>();
        for (int i = 0; i < finals.size(); i++) {
            GenerateChunk last = finals.get(i);
            choices.add(new Choice(i, last.text() == null ? "" : last.text(),
                    ResponseShape.finishReason(last.finishReason())));
        }
        return shape.whole(header, choices, usage(plan, finals));
    }

    /**
     * Streams every choice to the writer {@code commit} hands out, once all have started.
     *
     * @throws ApiException only before {@code commit} is called; later failures become an error
     *     event followed by {@code [DONE]}
     */
    void stream(ResponseShape shape, Plan plan, Supplier<SseWriter> commit) {
        upstream.router().requireModel(plan.model());
        Header header = header(shape, plan.model());
        List<Upstream.Opened> opened = openAll(plan.requests());
        SseWriter out;
        try {
            out = commit.get();
        } catch (RuntimeException e) {
            opened.forEach(Upstream.Opened::close);
            throw e;
        }
        List<GenerateChunk> finals;
        try {
            List<Integer> indexes = new ArrayList<>();
            for (int i = 0; i < opened.size(); i++) {
                indexes.add(i);
            }
            finals = each(indexes, i -> pump(shape, header, i, opened.get(i), out));
        } finally {
            opened.forEach(Upstream.Opened::close);
        }
        try {
            if (plan.includeUsage() && !finals.contains(null)) {
                out.event(shape.usageChunk(header, usage(plan, finals)), false);
            }
            out.done();
        } catch (IOException e) {
            log.debug("client left {} before its end", header.id());
        }
    }

    /** Streams one choice; returns its last chunk, or null when it ended in an error or the client
    * left. */
    private GenerateChunk pump(ResponseShape shape, Header header, int index,
            Upstream.Opened opened,
            SseWriter out) {
        TextDelta delta = new TextDelta();
        try {
            if (shape == ResponseShape.CHAT) {
                // The first chunk is already here (the stream was opened on it), so the role
                // event is not flushed alone: it leaves together with the first text.
                out.event(shape.chunk(header, index, "assistant", "", null), false);
            }
            while (true) {
                GenerateChunk chunk;
                try {
                    chunk = opened.next();
                } catch (ApiException e) {
                    metrics.streamError();
                    log.warn("{}: stream failed after its first token: {}", header.id(),
                            e.getMessage());
                    out.event(OpenAiError.of(e.status(), e.code(), e.param(), e.getMessage()));
                    return null;
                }
                boolean last = chunk.finishReason() != null;
                String text = delta.next(chunk.text(), last);
                if (!text.isEmpty()) {
                    out.event(shape.chunk(header, index, null, text, null), !last);
                }
                if (last) {
                    out.event(shape.chunk(header, index, null, null,
                            ResponseShape.finishReason(chunk.finishReason())));
                    return chunk;
                }
            }
        } catch (IOException e) {
            log.debug("{}: client left mid-stream; abandoning the worker stream", header.id());
            opened.close();
            return null;
        }
    }

    private List<Upstream.Opened> openAll(List<GenerateRequest> requests) {
        if (requests.size() == 1) {
            return List.of(upstream.open(requests.get(0)));
        }
        List<CompletableFuture<Upstream.Opened>> futures = requests.stream()
                .map(r -> CompletableFuture.supplyAsync(() -> upstream.open(r), executor)).toList();
        List<Upstream.Opened> opened = new ArrayList<>();
        RuntimeException failure = null;
        for (CompletableFuture<Upstream.Opened> f : futures) {
            try {
                opened.add(f.join());
            } catch (CompletionException e) {
                failure = failure != null ? failure : unwrap(e);
            }
        }
        if (failure != null) {
            opened.forEach(Upstream.Opened::close);
            throw failure;
        }
        return opened;
    }

    /** Applies {@code task} to each item, side by side when there are several, in order. */
    private <T, R> List<R> each(List<T> items, Function<T, R> task) {
        if (items.size() == 1) {
            List<R> one = new ArrayList<>();
            one.add(task.apply(items.get(0)));
            return one;
        }
        List<CompletableFuture<R>> futures = items.stream()
                .map(item -> CompletableFuture.supplyAsync(() -> task.apply(item),
                        executor)).toList();
        List<R> results = new ArrayList<>();
        RuntimeException failure = null;
        for (CompletableFuture<R> f : futures) {
            try {
                results.add(f.join());
            } catch (CompletionException e) {
                failure = failure != null ? failure : unwrap(e);
            }
        }
        if (failure != null) {
            throw failure;
        }
        return results;
    }

    /** Prompt tokens once per distinct prompt (as OpenAI counts them), completion tokens per
    * choice. */
    private Usage usage(Plan plan, List<GenerateChunk> finals) {
        int prompt = 0;
        int completion = 0;
        for (int i = 0; i < finals.size(); i++) {
            Usage u = finals.get(i).usage();
            if (u == null) {
                continue;
            }
            if (i % plan.n() == 0) {
                prompt += u.promptTokens();
            }
            completion += u.completionTokens();
        }
        metrics.tokens(prompt, completion);
        return Usage.of(prompt, completion);
    }

    private Header header(ResponseShape shape, String model) {
        byte[] id = new byte[12];
        RANDOM.nextBytes(id);
        return new Header(shape.idPrefix() + HexFormat.of().formatHex(id),
                System.currentTimeMillis() / 1000, model, fingerprint);
    }

    private static RuntimeException unwrap(CompletionException e) {
        return e.getCause() instanceof RuntimeException r ? r : e;
    }
}
