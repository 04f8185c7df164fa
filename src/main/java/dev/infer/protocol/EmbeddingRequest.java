package dev.infer.protocol;

import com.fasterxml.jackson.annotation.JsonFormat;
import java.util.List;

/**
 * {@code POST /worker_get_embeddings}: {@code input} is one string or a list. {@code truncate}
 * (extension, default true) cuts inputs longer than the model's window instead of refusing them.
 */
public record EmbeddingRequest(
        String model,
        @JsonFormat(with = JsonFormat.Feature.ACCEPT_SINGLE_VALUE_AS_ARRAY) List<String> input,
        Boolean truncate) {}
