package dev.infer.openai;

import dev.infer.protocol.EmbeddingRequest;
import dev.infer.protocol.EmbeddingResponse;
import dev.infer.protocol.ErrorCode;
import dev.infer.protocol.GenerateChunk;
import dev.infer.protocol.GenerateRequest;
import dev.infer.protocol.StreamFrames;
import dev.infer.protocol.Usage;
import dev.infer.server.HttpError;
import dev.infer.server.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A FastChat worker app that plays back a script: the generate stream writes {@code \0}-delimited
 * chunks as the script says, and every request is recorded. Used where a real worker cannot be
 * made to fail on cue (die before the first token, hang, fail mid-stream).
 */
final class FakeWorker implements AutoCloseable {
    /** What the worker does with one generate request. */
    @FunctionalInterface
    interface Script {
        void play(GenerateRequest request, Frames out) throws Exception;
    }

    /** The open stream of one request. */
    final class Frames {
        private final OutputStream out;

        Frames(OutputStream out) {
            this.out = out;
        }

        void send(GenerateChunk chunk) throws IOException {
            out.write(StreamFrames.frame(chunk));
            out.flush();
        }

        /** Blocks until the worker is closed, as a stuck worker would. */
        void hang() throws InterruptedException {
            released.await(30, TimeUnit.SECONDS);
        }
    }

    final BlockingQueue<GenerateRequest> requests = new LinkedBlockingQueue<>();
    private final CountDownLatch released = new CountDownLatch(1);
    private final HttpServer server;

    FakeWorker(Script script) {
        server = HttpServer.builder("fake-worker").port(0).routes(app -> {
            app.post("/worker_generate_stream", ctx -> {
                GenerateRequest request = HttpServer.body(ctx, GenerateRequest.class);
                requests.add(request);
                ctx.status(200).res().setContentType("application/octet-stream");
                OutputStream out = ctx.res().getOutputStream();
                script.play(request, new Frames(out));
            });
            app.post("/worker_get_embeddings", ctx -> {
                EmbeddingRequest request = HttpServer.body(ctx, EmbeddingRequest.class);
                List<float[]> vectors = new ArrayList<>();
                for (String input : request.input()) {
                    vectors.add(new float[] {input.length(), 0.5f, -1.25f});
                }
                HttpServer.json(ctx, new EmbeddingResponse(vectors, 7 * request.input().size()));
            });
        }).start();
    }

    /** A worker that streams {@code pieces} one chunk each, then stops with usage 5 + pieces. */
    static FakeWorker streaming(String... pieces) {
        return new FakeWorker((request, out) -> tokens(out, "stop", pieces));
    }

    static void tokens(Frames out, String finish, String... pieces) throws IOException {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < pieces.length; i++) {
            text.append(pieces[i]);
            boolean last = i == pieces.length - 1;
            out.send(new GenerateChunk(text.toString(), 0, Usage.of(5, i + 1),
                    last ? finish : null));
        }
    }

    /** A worker that answers every generate request with an error status and FastChat body. */
    static FakeWorker refusing(int status, ErrorCode code, String text) {
        return new FakeWorker((request, out) -> {
            throw new HttpError(status, code, text);
        });
    }

    String address() {
        return server.baseUrl();
    }

    @Override
    public void close() {
        released.countDown();
        server.close();
    }
}
