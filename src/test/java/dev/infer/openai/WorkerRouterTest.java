package dev.infer.openai;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.infer.client.ControllerClient;
import dev.infer.testing.Await;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ExecutorService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The route cache, on a clock the test moves, against a counting fake controller. */
class WorkerRouterTest {
    private final FakeController controller = new FakeController();
    private final ExecutorService refresher = Executors.newSingleThreadExecutor();
    private final MutableClock clock = new MutableClock();
    private final WorkerRouter router = new WorkerRouter(new ControllerClient(controller.url(),
            null),
            Duration.ofSeconds(1), clock, refresher);

    @AfterEach
    void stop() {
        refresher.shutdownNow();
        controller.close();
    }

    /** A clock that moves only when told. */
    static final class MutableClock extends Clock {
        private volatile long millis = 1_000_000;

        void advance(Duration d) {
            millis += d.toMillis();
        }

        @Override
        public long millis() {
            return millis;
        }

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(millis);
        }

        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }
    }

    @Test
    void a_fresh_address_is_reused_without_asking_the_controller() {
        controller.serve("m", "http://w1");
        assertEquals("http://w1", router.address("m", Set.of()));
        clock.advance(Duration.ofMillis(900));
        assertEquals("http://w1", router.address("m", Set.of()));
        assertEquals(1, controller.addressCalls.get());
    }

    @Test
    void a_cached_worker_busy_with_our_request_makes_the_next_one_ask_the_controller() {
        controller.serve("m", "http://w1", "http://w2");
        String first = router.address("m", Set.of());
        router.acquired(first);
        String second = router.address("m", Set.of());
        assertEquals(2, controller.addressCalls.get(), "busy: asked again");
        router.acquired(second);
        router.released(first);
        router.released(second);
        router.address("m", Set.of());
        assertEquals(2, controller.addressCalls.get(), "idle again: the cached answer serves");
    }

    @Test
    void an_expired_address_is_served_while_one_background_call_refreshes_it() {
        controller.serve("m", "http://w1", "http://w2");
        router.address("m", Set.of());
        clock.advance(Duration.ofMillis(1500));
        assertEquals("http://w1", router.address("m", Set.of()),
                "the stale answer, without waiting");
        Await.until(Duration.ofSeconds(5), "the background refresh",
                () -> controller.addressCalls.get() == 2);
        Await.until(Duration.ofSeconds(5), "the refreshed address", () -> router.address("m",
                Set.of()).equals("http://w2"));
    }

    @Test
    void an_address_older_than_the_stale_window_is_asked_for_again_before_answering() {
        controller.serve("m", "http://w1", "http://w2");
        router.address("m", Set.of());
        clock.advance(Duration.ofSeconds(WorkerRouter.STALE_PERIODS));
        assertEquals("http://w2", router.address("m", Set.of()));
    }

    @Test
    void a_forgotten_worker_is_not_offered_again_from_the_cache() {
        controller.serve("m", "http://w1", "http://w2");
        router.address("m", Set.of());
        router.forget("m", "http://w1");
        assertEquals("http://w2", router.address("m", Set.of("http://w1")));
    }

    @Test
    void an_unknown_model_is_a_404_after_one_fresh_look() {
        controller.serve("m", "http://w1");
        router.models();
        ApiException e = assertThrows(ApiException.class, () -> router.requireModel("other"));
        assertEquals(404, e.status());
        assertEquals(2, controller.listCalls.get(),
                "a miss looks again in case a worker just registered");
    }
}
