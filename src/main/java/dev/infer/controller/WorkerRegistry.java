package dev.infer.controller;

import dev.infer.protocol.WorkerInfo;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.function.Predicate;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The live set of workers: who serves which model, how loaded each is, and when each last
 * heart-beat. Thread-safe: every method takes one short lock, and nothing under it blocks or does
 * I/O. Each model has its own {@link WorkerSelector}, so a dispatch costs O(log n) in the number
 * of workers of that model and never scans the rest.
 *
 * <p>Time comes from the injected {@link Clock}; {@link #expire()} drops workers silent for longer
 * than the expiration, and the controller calls it every {@link #reapInterval()}.
 */
public final class WorkerRegistry {
    private static final Logger log = LoggerFactory.getLogger(WorkerRegistry.class);

    /** Whether a registration added a worker or replaced one under the same name. */
    public enum Registration { NEW, UPDATED }

    private final Object lock = new Object();
    private final DispatchPolicy policy;
    private final Duration expiration;
    private final Clock clock;
    private final RandomGenerator random;
    private final ControllerMetrics metrics;
    private final Map<String, Worker> workers = new LinkedHashMap<>();
    private final Map<String, WorkerSelector> models = new HashMap<>();
    private long nextId;
    private long dispatchSeq;

    public WorkerRegistry(DispatchPolicy policy, Duration expiration, Clock clock,
            RandomGenerator random, ControllerMetrics metrics) {
        if (expiration.isNegative() || expiration.isZero()) {
            throw new IllegalArgumentException(
                    "heartbeat expiration must be positive: " + expiration);
        }
        this.policy = Objects.requireNonNull(policy);
        this.expiration = expiration;
        this.clock = Objects.requireNonNull(clock);
        this.random = Objects.requireNonNull(random);
        this.metrics = Objects.requireNonNull(metrics);
    }

    public DispatchPolicy policy() {
        return policy;
    }

    public Duration expiration() {
        return expiration;
    }

    /**
     * How often {@link #expire()} should run: a twentieth of the expiration (at least 10 ms), so
     * a silent worker is dropped within 5% of the expiration after it fell silent.
     */
    public Duration reapInterval() {
        return Duration.ofMillis(Math.max(10, expiration.toMillis() / 20));
    }

    /**
     * Adds a worker or replaces the one with the same name. Counts as a heartbeat. The caller has
     * validated the values: a non-empty model list, speed above zero, queue length not negative.
     */
    public Registration register(String name, List<String> modelNames, double speed,
            int queueLength, boolean checkHeartBeat) {
        List<String> distinct = List.copyOf(new java.util.LinkedHashSet<>(modelNames));
        Registration result;
        synchronized (lock) {
            Worker w = workers.get(name);
            result = w == null ? Registration.NEW : Registration.UPDATED;
            if (w == null) {
                w = new Worker(name, nextId++);
                workers.put(name, w);
            } else {
                unlink(w);
            }
            w.models = distinct;
            w.speed = speed;
            w.queueLength = queueLength;
            w.checkHeartBeat = checkHeartBeat;
            w.lastHeartbeatMillis = clock.millis();
            if (!w.unhealthy) {
                link(w);
            }
            publishSizes();
        }
        log.info("{} worker {} serving {} (speed {}, queue {})",
                result == Registration.NEW ? "registered" : "re-registered", name, distinct,
                speed, queueLength);
        return result;
    }

    /**
     * Records a heartbeat and replaces the worker's queue estimate with the length it reports.
     *
     * @return false when no worker of that name is registered (it should register again)
     */
    public boolean heartbeat(String name, int queueLength) {
        synchronized (lock) {
            Worker w = workers.get(name);
            if (w == null) {
                return false;
            }
            w.lastHeartbeatMillis = clock.millis();
            if (w.queueLength != queueLength) {
                w.queueLength = queueLength;
                changed(w);
            }
        }
        metrics.heartbeat();
        return true;
    }

    /**
     * Chooses a worker for {@code model} by the policy and counts the request against its queue.
     *
     * @return the worker's name (its base URL), or null when no worker serves the model
     */
    public String dispatch(String model) {
        String chosen;
        synchronized (lock) {
            WorkerSelector selector = models.get(model);
            Worker w = selector == null ? null : selector.pick();
            if (w == null) {
                return null;
            }
            w.queueLength++;
            w.lastDispatch = ++dispatchSeq;
            changed(w);
            chosen = w.name;
        }
        metrics.dispatched(model);
        return chosen;
    }

    /**
     * Records what the active health check found: an unhealthy worker keeps its registration but
     * is left out of dispatch until a later check finds it answering again.
     *
     * @return true when the worker's health changed (false also when it is not registered)
     */
    public boolean markHealth(String name, boolean healthy) {
        synchronized (lock) {
            Worker w = workers.get(name);
            if (w == null || w.unhealthy == !healthy) {
                return false;
            }
            w.unhealthy = !healthy;
            if (healthy) {
                link(w);
            } else {
                unlink(w);
            }
            publishSizes();
        }
        if (healthy) {
            log.info("worker {} answers health checks again; dispatching to it", name);
        } else {
            log.warn("worker {} failed its health check; not dispatching to it", name);
        }
        return true;
    }

    /** Drops every worker that asked to be checked and has been silent for over the expiration. */
    public List<String> expire() {
        long deadline = clock.millis() - expiration.toMillis();
        return removeIf(w -> w.checkHeartBeat && w.lastHeartbeatMillis < deadline, "expired");
    }

    /** Removes the named worker; false when it was not registered. */
    public boolean remove(String name, String reason) {
        return !removeIf(w -> w.name.equals(name), reason).isEmpty();
    }

    /** Removes every worker that serves {@code model}; returns their names. */
    public List<String> removeServing(String model, String reason) {
        return removeIf(w -> w.models.contains(model), reason);
    }

    /** Removes every worker; returns their names. */
    public List<String> removeAll(String reason) {
        return removeIf(w -> true, reason);
    }

    private List<String> removeIf(Predicate<Worker> doomed, String reason) {
        List<String> removed = new ArrayList<>();
        synchronized (lock) {
            var it = workers.values().iterator();
            while (it.hasNext()) {
                Worker w = it.next();
                if (doomed.test(w)) {
                    it.remove();
                    unlink(w);
                    removed.add(w.name);
                }
            }
            if (!removed.isEmpty()) {
                publishSizes();
            }
        }
        for (String name : removed) {
            log.info("dropped worker {} ({})", name, reason);
        }
        metrics.dropped(reason, removed.size());
        return removed;
    }

    /** Whether a worker of this name is registered. */
    public boolean contains(String name) {
        synchronized (lock) {
            return workers.containsKey(name);
        }
    }

    public int size() {
        synchronized (lock) {
            return workers.size();
        }
    }

    /** Every served model with its number of workers, sorted by name. */
    public Map<String, Integer> modelCounts() {
        Map<String, Integer> counts = new TreeMap<>();
        synchronized (lock) {
            // From the workers, not the selectors: a model whose workers are all unhealthy is
            // still served (its requests fail with "no worker" until one recovers).
            for (Worker w : workers.values()) {
                w.models.forEach(m -> counts.merge(m, 1, Integer::sum));
            }
        }
        return counts;
    }

    /** Names and whether each asked to be heart-beat checked, for a refresh. */
    public Map<String, Boolean> names() {
        synchronized (lock) {
            Map<String, Boolean> names = new LinkedHashMap<>();
            workers.forEach((name, w) -> names.put(name, w.checkHeartBeat));
            return names;
        }
    }

    /** Every worker as the operator endpoint shows it, in registration order. */
    public List<WorkerInfo> snapshot() {
        long now = clock.millis();
        synchronized (lock) {
            List<WorkerInfo> out = new ArrayList<>(workers.size());
            for (Worker w : workers.values()) {
                double ago = Math.max(0, now - w.lastHeartbeatMillis) / 1000.0;
                out.add(new WorkerInfo(w.name, w.models, w.speed, w.queueLength, ago,
                        state(w, now)));
            }
            return out;
        }
    }

    private String state(Worker w, long now) {
        if (w.unhealthy) {
            return "unhealthy";
        }
        if (!w.checkHeartBeat) {
            return "unchecked";
        }
        // A worker heart-beats every half expiration; past that it has missed one.
        return now - w.lastHeartbeatMillis > expiration.toMillis() / 2 ? "late" : "healthy";
    }

    private void link(Worker w) {
        Worker.Slot[] slots = new Worker.Slot[w.models.size()];
        for (int i = 0; i < slots.length; i++) {
            String model = w.models.get(i);
            slots[i] = new Worker.Slot(w, model);
            models.computeIfAbsent(model, m -> policy.newSelector(random)).add(slots[i]);
        }
        w.slots = slots;
    }

    private void unlink(Worker w) {
        for (Worker.Slot slot : w.slots) {
            WorkerSelector selector = models.get(slot.model);
            selector.remove(slot);
            if (selector.size() == 0) {
                models.remove(slot.model);
            }
        }
        w.slots = new Worker.Slot[0];
    }

    private void changed(Worker w) {
        for (Worker.Slot slot : w.slots) {
            models.get(slot.model).changed(slot);
        }
    }

    private void publishSizes() {
        metrics.registry(workers.size(), models.size());
    }

    /** A description of the first broken internal invariant, or null; for tests. */
    String checkInvariants() {
        synchronized (lock) {
            Map<String, Integer> expected = new HashMap<>();
            for (Worker w : workers.values()) {
                if (w.queueLength < 0 || !(w.speed > 0)) {
                    return w.name + " has queue " + w.queueLength + " and speed " + w.speed;
                }
                if (w.slots.length != (w.unhealthy ? 0 : w.models.size())) {
                    return w.name + " has " + w.slots.length + " slots for " + w.models;
                }
                for (Worker.Slot s : w.slots) {
                    expected.merge(s.model, 1, Integer::sum);
                    if (s.index < 0 || !models.containsKey(s.model)) {
                        return w.name + " is not in the selector of " + s.model;
                    }
                }
            }
            for (var e : models.entrySet()) {
                if (e.getValue().size() != expected.getOrDefault(e.getKey(), 0)) {
                    return "selector of " + e.getKey() + " holds " + e.getValue().size()
                            + " workers, registry " + expected.get(e.getKey());
                }
                String broken = e.getValue().checkInvariants();
                if (broken != null) {
                    return e.getKey() + ": " + broken;
                }
            }
            return null;
        }
    }
}
