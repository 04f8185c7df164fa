package dev.infer.protocol;

/** {@code POST /get_worker_address}. */
public record WorkerAddressRequest(String model) {}
