package dev.infer.controller;

import java.util.List;

/**
 * One registered worker as the registry keeps it. Mutable, and guarded by the registry's lock:
 * nothing outside {@link WorkerRegistry} and the selectors it calls (under that lock) touches it.
 */
final class Worker {
    final String name;
    /** Registration order; the last tie-break of shortest-queue, so the order is total. */
    final long id;
    List<String> models;
    double speed;
    int queueLength;
    long lastHeartbeatMillis;
    boolean checkHeartBeat;
    /** Sequence number of the last request dispatched here; 0 when none was. */
    long lastDispatch;
    /**
     * Set when the active health check found the worker not answering; an unhealthy worker stays
     * registered but has no slots, so dispatch cannot pick it.
     */
    boolean unhealthy;
    /** One slot per entry of {@link #models}, in the same order. */
    Slot[] slots = new Slot[0];

    Worker(String name, long id) {
        this.name = name;
        this.id = id;
    }

    /** Estimated wait: queued requests over speed. */
    double load() {
        return queueLength / speed;
    }

    /** A worker's place in one model's selector; the selector keeps {@link #index} current. */
    static final class Slot {
        final Worker worker;
        final String model;
        int index = -1;

        Slot(Worker worker, String model) {
            this.worker = worker;
            this.model = model;
        }
    }
}
