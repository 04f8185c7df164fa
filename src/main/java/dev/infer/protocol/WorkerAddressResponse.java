package dev.infer.protocol;

/** The chosen worker's base URL, or {@code ""} when no worker serves the model. */
public record WorkerAddressResponse(String address) {}
