package dev.infer.protocol;

import java.util.List;

/** {@code POST /list_models} answer. */
public record ModelList(List<String> models) {}
