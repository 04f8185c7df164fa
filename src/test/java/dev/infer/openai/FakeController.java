package dev.infer.openai;

import dev.infer.protocol.ModelList;
import dev.infer.protocol.WorkerAddressRequest;
import dev.infer.protocol.WorkerAddressResponse;
import dev.infer.server.HttpServer;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A controller that answers {@code /list_models} and {@code /get_worker_address} from a script
 * and counts the calls, so tests can see how many hops a request cost and steer which worker is
 * offered first. Each model has a queue of addresses; the last one is repeated once the queue
 * runs dry.
 */
final class FakeController implements AutoCloseable {
    final AtomicInteger listCalls = new AtomicInteger();
    final AtomicInteger addressCalls = new AtomicInteger();
    private final Map<String, Deque<String>> offers = new ConcurrentHashMap<>();
    private final HttpServer server;

    FakeController() {
        server = HttpServer.builder("fake-controller").port(0).routes(app -> {
            app.post("/list_models", ctx -> {
                listCalls.incrementAndGet();
                HttpServer.json(ctx, new ModelList(List.copyOf(offers.keySet())));
            });
            app.post("/get_worker_address", ctx -> {
                addressCalls.incrementAndGet();
                String model = HttpServer.body(ctx, WorkerAddressRequest.class).model();
                HttpServer.json(ctx, new WorkerAddressResponse(next(model)));
            });
        }).start();
    }

    /** Offers {@code addresses} for {@code model}, in this order; none means "no worker". */
    FakeController serve(String model, String... addresses) {
        offers.put(model, new ArrayDeque<>(List.of(addresses)));
        return this;
    }

    private synchronized String next(String model) {
        Deque<String> queue = offers.get(model);
        if (queue == null || queue.isEmpty()) {
            return "";
        }
        return queue.size() > 1 ? queue.poll() : queue.peek();
    }

    String url() {
        return server.baseUrl();
    }

    @Override
    public void close() {
        server.close();
    }
}
