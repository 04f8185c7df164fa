package dev.infer.controller;

/**
 * A dispatch policy's state for one model: the workers that serve it, kept in whatever order the
 * policy needs so that a pick costs O(1) or O(log n), never a scan of every worker. Not
 * thread-safe: the registry calls it only while holding its lock.
 */
interface WorkerSelector {
    void add(Worker.Slot slot);

    void remove(Worker.Slot slot);

    /** The slot's worker changed queue length, speed or last dispatch. */
    void changed(Worker.Slot slot);

    /** The chosen worker, or null when there is none. */
    Worker pick();

    int size();

    /** A description of the first broken internal invariant, or null; for tests. */
    String checkInvariants();
}
