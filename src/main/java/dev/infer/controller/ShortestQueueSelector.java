package dev.infer.controller;

import java.util.Arrays;

/**
 * An indexed binary min-heap of slots ordered by load ({@code queue_length / speed}), then by
 * last dispatch (least recent first), then by registration order. Pick, add, remove and change
 * are O(log n); each slot knows its heap index, so a change needs no search.
 */
final class ShortestQueueSelector implements WorkerSelector {
    private Worker.Slot[] heap = new Worker.Slot[8];
    private int size;

    static int compare(Worker a, Worker b) {
        // Cross-multiplied so that equal queues at equal speeds compare exactly equal.
        int c = Double.compare(a.queueLength * b.speed, b.queueLength * a.speed);
        if (c != 0) {
            return c;
        }
        c = Long.compare(a.lastDispatch, b.lastDispatch);
        return c != 0 ? c : Long.compare(a.id, b.id);
    }

    @Override
    public void add(Worker.Slot slot) {
        if (size == heap.length) {
            heap = Arrays.copyOf(heap, size * 2);
        }
        place(slot, size++);
        siftUp(slot.index);
    }

    @Override
    public void remove(Worker.Slot slot) {
        int i = slot.index;
        Worker.Slot last = heap[--size];
        heap[size] = null;
        slot.index = -1;
        if (last != slot) {
            place(last, i);
            changed(last);
        }
    }

    @Override
    public void changed(Worker.Slot slot) {
        siftUp(slot.index);
        siftDown(slot.index);
    }

    @Override
    public Worker pick() {
        return size == 0 ? null : heap[0].worker;
    }

    @Override
    public int size() {
        return size;
    }

    private void place(Worker.Slot slot, int i) {
        heap[i] = slot;
        slot.index = i;
    }

    private void siftUp(int i) {
        Worker.Slot s = heap[i];
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            if (compare(heap[parent].worker, s.worker) <= 0) {
                break;
            }
            place(heap[parent], i);
            i = parent;
        }
        place(s, i);
    }

    private void siftDown(int i) {
        Worker.Slot s = heap[i];
        while (true) {
            int child = 2 * i + 1;
            if (child >= size) {
                break;
            }
            if (child + 1 < size && compare(heap[child + 1].worker, heap[child].worker) < 0) {
                child++;
            }
            if (compare(s.worker, heap[child].worker) <= 0) {
                break;
            }
            place(heap[child], i);
            i = child;
        }
        place(s, i);
    }

    @Override
    public String checkInvariants() {
        for (int i = 0; i < size; i++) {
            if (heap[i].index != i) {
                return "slot of " + heap[i].worker.name + " at " + i + " says " + heap[i].index;
            }
            if (i > 0 && compare(heap[(i - 1) >>> 1].worker, heap[i].worker) > 0) {
                return "heap order broken at " + i;
            }
        }
        return null;
    }
}
