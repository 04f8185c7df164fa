package dev.infer.protocol;

import java.util.List;

/** The workers a kill removed ({@code killed}) and those that could not be told ({@code unreachable}). */
public record KillResponse(List<String> killed, List<String> unreachable) {}
