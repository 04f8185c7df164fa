package dev.infer.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.infer.metrics.Metrics;
import dev.infer.testing.MutableClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Many threads register, heart-beat, dispatch, expire and kill at once; the registry stays whole. */
class WorkerRegistryStressTest {
    private static final int THREADS = 8;
    private static final int STEPS = 5_000;
    private static final int WORKERS = 64;
    private static final int MODELS = 4;

    /** Worker {@code i} only ever serves model {@code i % MODELS}, so a dispatch can be checked. */
    private static String worker(int i) {
        return "http://w" + i + "-m" + (i % MODELS) + ":1";
    }

    @Test
    void registry_stays_consistent_under_concurrent_register_heartbeat_dispatch_and_expiry()
            throws Exception {
        for (String policy : DispatchPolicy.NAMES) {
            hammer(DispatchPolicy.parse(policy));
        }
    }

    private void hammer(DispatchPolicy policy) throws Exception {
        MutableClock clock = new MutableClock();
        Metrics metrics = new Metrics();
        WorkerRegistry registry = new WorkerRegistry(policy, Duration.ofSeconds(10), clock,
                new SplittableRandom(3), new ControllerMetrics(metrics));
        ConcurrentLinkedQueue<String> wrong = new ConcurrentLinkedQueue<>();
        AtomicLong dispatched = new AtomicLong();
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                SplittableRandom rnd = new SplittableRandom(t);
                done.add(pool.submit(() -> {
                    start.await();
                    for (int s = 0; s < STEPS; s++) {
                        int i = rnd.nextInt(WORKERS);
                        int op = rnd.nextInt(100);
                        if (op < 10) {
                            registry.register(worker(i), List.of("m" + (i % MODELS)), 1 + rnd.nextInt(3),
                                    rnd.nextInt(4), true);
                        } else if (op < 40) {
                            registry.heartbeat(worker(i), rnd.nextInt(8));
                        } else if (op < 95) {
                            String model = "m" + rnd.nextInt(MODELS);
                            String got = registry.dispatch(model);
                            if (got != null) {
                                dispatched.incrementAndGet();
                                if (!got.endsWith("-" + model + ":1")) {
                                    wrong.add(model + " -> " + got);
                                }
                            }
                        } else if (op < 98) {
                            clock.advance(Duration.ofMillis(500));
                            registry.expire();
                        } else {
                            registry.remove(worker(i), "killed");
                        }
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> f : done) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(List.of(), new ArrayList<>(wrong), policy.name() + ": wrong model");
        assertNull(registry.checkInvariants(), policy.name());
        assertTrue(dispatched.get() > 0, policy.name() + ": nothing was dispatched");
        // Every model the registry lists has a worker, and the counts add up to the workers.
        Map<String, Integer> counts = registry.modelCounts();
        assertEquals(registry.size(), counts.values().stream().mapToInt(Integer::intValue).sum());
        double total = metrics.registry().scrape().stream()
                .filter(s -> s.getMetadata().getPrometheusName().equals("infer_controller_dispatches"))
                .flatMap(s -> s.getDataPoints().stream())
                .mapToDouble(d -> ((io.prometheus.metrics.model.snapshots.CounterSnapshot.CounterDataPointSnapshot) d)
                        .getValue())
                .sum();
        assertEquals(dispatched.get(), (long) total, policy.name() + ": dispatch counter");
    }
}
