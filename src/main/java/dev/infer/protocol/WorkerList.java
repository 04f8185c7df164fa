package dev.infer.protocol;

import java.util.List;

/** {@code POST /list_workers} answer. */
public record WorkerList(List<WorkerInfo> workers) {}
