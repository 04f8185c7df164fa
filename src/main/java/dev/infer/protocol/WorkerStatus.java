package dev.infer.protocol;

import java.util.List;

/** What a worker reports about itself: {@code {model_names, speed, queue_length}}. */
public record WorkerStatus(List<String> modelNames, Double speed, Integer queueLength) {}
