package dev.infer.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.infer.metrics.Metrics;
import dev.infer.protocol.WorkerInfo;
import dev.infer.testing.MutableClock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class WorkerRegistryTest {
    private final MutableClock clock = new MutableClock();
    private final Metrics metrics = new Metrics();
    private final WorkerRegistry registry = new WorkerRegistry(new DispatchPolicy.ShortestQueue(),
            Duration.ofSeconds(90), clock, new SplittableRandom(1), new ControllerMetrics(metrics));

    @Test
    void silent_worker_is_dropped_after_expiration() {
        registry.register("http://a:1", List.of("m"), 1, 0, true);
        clock.advance(Duration.ofSeconds(90));
        assertEquals(List.of(), registry.expire(), "exactly at the expiration it is still in time");
        clock.advance(Duration.ofMillis(1));
        assertEquals(List.of("http://a:1"), registry.expire());
        assertNull(registry.dispatch("m"));
        assertEquals(Map.of(), registry.modelCounts());
        assertTrue(metrics.scrape().contains("infer_controller_dropped_workers_total{reason=\"expired\"} 1.0"),
                metrics.scrape());
    }

    @Test
    void heartbeat_keeps_a_worker_alive() {
        registry.register("http://a:1", List.of("m"), 1, 0, true);
        for (int i = 0; i < 5; i++) {
            clock.advance(Duration.ofSeconds(45));
            assertTrue(registry.heartbeat("http://a:1", 0));
            assertEquals(List.of(), registry.expire());
        }
        assertEquals("http://a:1", registry.dispatch("m"));
    }

    @Test
    void reaper_interval_drops_a_silent_worker_within_ten_percent_of_the_expiration() {
        // The worst case: the worker expires just after a reaper pass, and is seen one interval later.
        for (long seconds : new long[] {1, 10, 90, 3600}) {
            WorkerRegistry r = new WorkerRegistry(new DispatchPolicy.Lottery(), Duration.ofSeconds(seconds),
                    clock, new SplittableRandom(1), new ControllerMetrics(new Metrics()));
            assertTrue(r.reapInterval().toMillis() <= seconds * 1000 / 10,
                    seconds + " s expiration, reaper every " + r.reapInterval());
        }
    }

    @Test
    void reaping_on_the_interval_drops_within_ten_percent_of_the_expiration() {
        registry.register("http://a:1", List.of("m"), 1, 0, true);
        Duration step = registry.reapInterval();
        Duration silent = Duration.ZERO;
        while (registry.expire().isEmpty()) {
            clock.advance(step);
            silent = silent.plus(step);
        }
        assertTrue(silent.compareTo(Duration.ofSeconds(99)) <= 0, "dropped after " + silent);
        assertTrue(silent.compareTo(Duration.ofSeconds(90)) > 0, "dropped after " + silent);
    }

    @Test
    void worker_registered_without_heartbeat_checks_never_expires() {
        registry.register("http://a:1", List.of("m"), 1, 0, false);
        clock.advance(Duration.ofDays(3));
        assertEquals(List.of(), registry.expire());
        assertEquals("unchecked", registry.snapshot().get(0).state());
    }

    @Test
    void heartbeat_from_an_unknown_worker_says_it_does_not_exist() {
        assertFalse(registry.heartbeat("http://nobody:1", 0));
    }

    @Test
    void re_registration_replaces_models_without_duplicating_the_worker() {
        assertEquals(WorkerRegistry.Registration.NEW, registry.register("http://a:1", List.of("m1"), 1, 0, true));
        assertEquals(WorkerRegistry.Registration.UPDATED,
                registry.register("http://a:1", List.of("m2", "m2"), 2, 3, true));
        assertEquals(1, registry.size());
        assertEquals(Map.of("m2", 1), registry.modelCounts());
        assertNull(registry.dispatch("m1"));
        WorkerInfo info = registry.snapshot().get(0);
        assertEquals(List.of("m2"), info.modelNames());
        assertEquals(2.0, info.speed());
        assertNull(registry.checkInvariants());
    }

    @Test
    void snapshot_reports_seconds_since_heartbeat_and_late_state() {
        registry.register("http://a:1", List.of("m"), 1, 0, true);
        clock.advance(Duration.ofSeconds(50));
        WorkerInfo info = registry.snapshot().get(0);
        assertEquals(50.0, info.lastHeartBeatSecondsAgo(), 1e-9);
        assertEquals("late", info.state());
        registry.heartbeat("http://a:1", 2);
        assertEquals("healthy", registry.snapshot().get(0).state());
        assertEquals(2, registry.snapshot().get(0).queueLength());
    }

    @Test
    void model_counts_list_each_model_with_its_workers() {
        registry.register("http://a:1", List.of("m1", "m2"), 1, 0, true);
        registry.register("http://b:1", List.of("m2"), 1, 0, true);
        assertEquals(Map.of("m1", 1, "m2", 2), registry.modelCounts());
        assertEquals(List.of("http://a:1", "http://b:1"), registry.removeServing("m2", "killed"));
        assertEquals(0, registry.size());
    }
}
