package dev.infer.protocol;

/**
 * {@code POST /register_worker}. Without {@code worker_status} the controller asks the worker's
 * {@code /worker_get_status} itself, as FastChat's does. Boxed fields so that a missing value is
 * told apart from zero during validation.
 */
public record RegisterWorkerRequest(
        String workerName, Boolean checkHeartBeat, WorkerStatus workerStatus, Boolean multimodal) {}
