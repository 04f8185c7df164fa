package dev.infer.controller;

import java.util.ArrayList;
import java.util.List;
import java.util.random.RandomGenerator;

/**
 * Draws a worker with probability proportional to its speed. The running sums of speeds are
 * rebuilt only after the membership or a speed changes; a draw is a binary search over them.
 */
final class LotterySelector implements WorkerSelector {
    private final RandomGenerator random;
    private final List<Worker.Slot> slots = new ArrayList<>();
    private double[] cumulative = new double[0];
    private boolean dirty;

    LotterySelector(RandomGenerator random) {
        this.random = random;
    }

    @Override
    public void add(Worker.Slot slot) {
        slot.index = slots.size();
        slots.add(slot);
        dirty = true;
    }

    @Override
    public void remove(Worker.Slot slot) {
        // Swap with the last: order does not matter to a lottery.
        Worker.Slot last = slots.remove(slots.size() - 1);
        if (last != slot) {
            slots.set(slot.index, last);
            last.index = slot.index;
        }
        slot.index = -1;
        dirty = true;
    }

    @Override
    public void changed(Worker.Slot slot) {
        // Queue lengths do not matter here; a speed change comes as remove and add.
    }

    @Override
    public Worker pick() {
        int n = slots.size();
        if (n == 0) {
            return null;
        }
        if (dirty) {
            cumulative = new double[n];
            double sum = 0;
            for (int i = 0; i < n; i++) {
                sum += slots.get(i).worker.speed;
                cumulative[i] = sum;
            }
            dirty = false;
        }
        double r = random.nextDouble() * cumulative[n - 1];
        int lo = 0;
        int hi = n - 1;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (cumulative[mid] > r) {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        return slots.get(lo).worker;
    }

    @Override
    public int size() {
        return slots.size();
    }

    @Override
    public String checkInvariants() {
        for (int i = 0; i < slots.size(); i++) {
            if (slots.get(i).index != i) {
                return "lottery slot of " + slots.get(i).worker.name + " misplaced";
            }
        }
        return null;
    }
}
