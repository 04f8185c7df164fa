package dev.infer.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.infer.metrics.Metrics;
import dev.infer.testing.MutableClock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class DispatchPolicyTest {
    /** Chi-square critical values at p = 0.001 by degrees of freedom: a fair policy fails 1 in 1000. */
    private static final double[] CRITICAL_999 = {0, 10.83, 13.82, 16.27, 18.47, 20.52};

    private static WorkerRegistry registry(DispatchPolicy policy) {
        return new WorkerRegistry(policy, Duration.ofSeconds(90), new MutableClock(),
                new SplittableRandom(42), new ControllerMetrics(new Metrics()));
    }

    /** Workers {@code w0..} serving "m" with the given speeds. */
    private static List<String> addWorkers(WorkerRegistry r, double... speeds) {
        List<String> names = new java.util.ArrayList<>();
        for (int i = 0; i < speeds.length; i++) {
            String name = "http://w" + i + ":1";
            r.register(name, List.of("m"), speeds[i], 0, true);
            names.add(name);
        }
        return names;
    }

    private static double chiSquare(Map<String, Integer> counts, List<String> names, double[] weights, int n) {
        double total = 0;
        for (double w : weights) {
            total += w;
        }
        double chi = 0;
        for (int i = 0; i < names.size(); i++) {
            double expected = n * weights[i] / total;
            double d = counts.getOrDefault(names.get(i), 0) - expected;
            chi += d * d / expected;
        }
        return chi;
    }

    private static Map<String, Integer> draw(WorkerRegistry r, int n, Runnable between) {
        Map<String, Integer> counts = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            counts.merge(r.dispatch("m"), 1, Integer::sum);
            between.run();
        }
        return counts;
    }

    @Test
    void lottery_is_weighted_by_speed() {
        WorkerRegistry r = registry(new DispatchPolicy.Lottery());
        double[] speeds = {1, 2, 3, 4};
        List<String> names = addWorkers(r, speeds);
        Map<String, Integer> counts = draw(r, 20_000, () -> {});
        double chi = chiSquare(counts, names, speeds, 20_000);
        assertTrue(chi < CRITICAL_999[3], "chi-square " + chi + " for " + counts);
        // The test has power: the same counts are far from uniform.
        assertTrue(chiSquare(counts, names, new double[] {1, 1, 1, 1}, 20_000) > 100 * CRITICAL_999[3]);
    }

    @Test
    void lottery_is_uniform_at_equal_speeds() {
        WorkerRegistry r = registry(new DispatchPolicy.Lottery());
        double[] speeds = {1, 1, 1, 1, 1};
        List<String> names = addWorkers(r, speeds);
        Map<String, Integer> counts = draw(r, 20_000, () -> {});
        double chi = chiSquare(counts, names, speeds, 20_000);
        assertTrue(chi < CRITICAL_999[4], "chi-square " + chi + " for " + counts);
    }

    @Test
    void shortest_queue_picks_the_smallest_queue_over_speed() {
        WorkerRegistry r = registry(new DispatchPolicy.ShortestQueue());
        r.register("http://a:1", List.of("m"), 1, 3, true);
        r.register("http://b:1", List.of("m"), 4, 8, true);  // 2 per unit of speed
        r.register("http://c:1", List.of("m"), 1, 5, true);
        assertEquals("http://b:1", r.dispatch("m"));
    }

    @Test
    void shortest_queue_counts_each_dispatch_until_the_next_heartbeat() {
        WorkerRegistry r = registry(new DispatchPolicy.ShortestQueue());
        r.register("http://a:1", List.of("m"), 1, 0, true);
        r.register("http://b:1", List.of("m"), 1, 2, true);
        assertEquals("http://a:1", r.dispatch("m"));
        assertEquals("http://a:1", r.dispatch("m"));  // a: 2 now, b: 2; a was used last
        assertEquals("http://b:1", r.dispatch("m"));
        assertEquals(2, r.snapshot().get(0).queueLength());
        r.heartbeat("http://a:1", 7);                  // the real length replaces the estimate
        assertEquals(7, r.snapshot().get(0).queueLength());
        assertEquals("http://b:1", r.dispatch("m"));
    }

    @Test
    void shortest_queue_shares_load_in_proportion_to_speed() {
        WorkerRegistry r = registry(new DispatchPolicy.ShortestQueue());
        double[] speeds = {1, 2, 3};
        List<String> names = addWorkers(r, speeds);
        Map<String, Integer> counts = draw(r, 6_000, () -> {});
        double chi = chiSquare(counts, names, speeds, 6_000);
        assertTrue(chi < CRITICAL_999[2], "chi-square " + chi + " for " + counts);
    }

    @Test
    void shortest_queue_breaks_ties_fairly_when_heartbeats_reset_the_queues() {
        // FastChat's argmin sends every request to the first worker when all queues read 0.
        WorkerRegistry r = registry(new DispatchPolicy.ShortestQueue());
        double[] speeds = {1, 1, 1, 1};
        List<String> names = addWorkers(r, speeds);
        Map<String, Integer> counts = draw(r, 4_000, () -> names.forEach(n -> r.heartbeat(n, 0)));
        double chi = chiSquare(counts, names, speeds, 4_000);
        assertTrue(chi < CRITICAL_999[3], "chi-square " + chi + " for " + counts);
    }

    @Test
    void round_robin_takes_each_worker_in_turn() {
        WorkerRegistry r = registry(new DispatchPolicy.RoundRobin());
        List<String> names = addWorkers(r, 1, 5, 1);
        for (int round = 0; round < 3; round++) {
            for (String name : names) {
                assertEquals(name, r.dispatch("m"));
            }
        }
        r.remove(names.get(1), "killed");
        assertEquals(names.get(0), r.dispatch("m"));
        assertEquals(names.get(2), r.dispatch("m"));
        assertEquals(names.get(0), r.dispatch("m"));
    }

    @Test
    void every_policy_answers_null_for_an_unserved_model() {
        for (String name : DispatchPolicy.NAMES) {
            WorkerRegistry r = registry(DispatchPolicy.parse(name));
            addWorkers(r, 1);
            assertNull(r.dispatch("other"), name);
        }
    }

    @Test
    void every_policy_keeps_its_index_consistent_through_churn() {
        for (String policy : DispatchPolicy.NAMES) {
            WorkerRegistry r = registry(DispatchPolicy.parse(policy));
            SplittableRandom rnd = new SplittableRandom(7);
            for (int i = 0; i < 5_000; i++) {
                String w = "http://w" + rnd.nextInt(40) + ":1";
                switch (rnd.nextInt(4)) {
                    case 0 -> r.register(w, List.of("m" + rnd.nextInt(3), "m" + rnd.nextInt(3)),
                            1 + rnd.nextInt(4), rnd.nextInt(5), true);
                    case 1 -> r.heartbeat(w, rnd.nextInt(10));
                    case 2 -> r.remove(w, "killed");
                    default -> r.dispatch("m" + rnd.nextInt(3));
                }
                String broken = r.checkInvariants();
                assertNull(broken, policy + " after step " + i + ": " + broken);
            }
        }
    }

    @Test
    void unknown_policy_name_lists_the_choices() {
        var e = assertThrows(IllegalArgumentException.class, () -> DispatchPolicy.parse("fastest"));
        assertEquals("unknown dispatch policy 'fastest'; choose one of shortest-queue, lottery, round-robin",
                e.getMessage());
    }
}
