package dev.infer.controller;

import java.util.List;
import java.util.random.RandomGenerator;

/**
 * How the controller chooses among the workers that serve a model. Each policy keeps its own
 * per-model state (a {@link WorkerSelector}), so a pick never scans every worker.
 */
public sealed interface DispatchPolicy
        permits DispatchPolicy.ShortestQueue, DispatchPolicy.Lottery, DispatchPolicy.RoundRobin {

    /** The name {@code --dispatch} takes. */
    String name();

    /** Fresh per-model state; {@code random} is used under the registry's lock only. */
    WorkerSelector newSelector(RandomGenerator random);

    /** The names {@link #parse} accepts, default first. */
    List<String> NAMES = List.of("shortest-queue", "lottery", "round-robin");

    /**
     * The policy called {@code name}.
     *
     * @throws IllegalArgumentException naming the valid choices
     */
    static DispatchPolicy parse(String name) {
        switch (name == null ? "" : name.trim().toLowerCase(java.util.Locale.ROOT)) {
            case "shortest-queue", "shortest_queue":
                return new ShortestQueue();
            case "lottery":
                return new Lottery();
            case "round-robin", "round_robin":
                return new RoundRobin();
            default:
                throw new IllegalArgumentException("unknown dispatch policy '" + name
                        + "'; choose one of " + String.join(", ", NAMES));
        }
    }

    /**
     * The worker with the smallest {@code queue_length / speed}. Each dispatch adds one to the
     * chosen worker's queue until its next heartbeat reports the real length. Among equal loads
     * the least recently dispatched worker wins, so ties rotate instead of always going to the
     * first worker.
     */
    record ShortestQueue() implements DispatchPolicy {
        @Override
        public String name() {
            return "shortest-queue";
        }

        @Override
        public WorkerSelector newSelector(RandomGenerator random) {
            return new ShortestQueueSelector();
        }
    }

    /** A worker drawn at random, weighted by speed; uniform when the speeds are equal. */
    record Lottery() implements DispatchPolicy {
        @Override
        public String name() {
            return "lottery";
        }

        @Override
        public WorkerSelector newSelector(RandomGenerator random) {
            return new LotterySelector(random);
        }
    }

    /** Each worker of the model in turn, whatever its speed or queue. */
    record RoundRobin() implements DispatchPolicy {
        @Override
        public String name() {
            return "round-robin";
        }

        @Override
        public WorkerSelector newSelector(RandomGenerator random) {
            return new RoundRobinSelector();
        }
    }
}
