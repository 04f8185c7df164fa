package dev.infer.controller;

import java.util.ArrayList;
import java.util.List;

/** Hands out the workers of a model in registration order, one after another. */
final class RoundRobinSelector implements WorkerSelector {
    private final List<Worker.Slot> slots = new ArrayList<>();
    private int next;

    @Override
    public void add(Worker.Slot slot) {
        slot.index = slots.size();
        slots.add(slot);
    }

    @Override
    public void remove(Worker.Slot slot) {
        int i = slot.index;
        slots.remove(i);
        for (int j = i; j < slots.size(); j++) {
            slots.get(j).index = j;
        }
        if (next > i) {
            next--;
        }
        slot.index = -1;
    }

    @Override
    public void changed(Worker.Slot slot) {
        // The turn order ignores load.
    }

    @Override
    public Worker pick() {
        if (slots.isEmpty()) {
            return null;
        }
        if (next >= slots.size()) {
            next = 0;
        }
        return slots.get(next++).worker;
    }

    @Override
    public int size() {
        return slots.size();
    }

    @Override
    public String checkInvariants() {
        for (int i = 0; i < slots.size(); i++) {
            if (slots.get(i).index != i) {
                return "round-robin slot of " + slots.get(i).worker.name + " misplaced";
            }
        }
        return null;
    }
}
