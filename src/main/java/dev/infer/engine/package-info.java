/**
 * The inference engine: model folder discovery, ONNX Runtime session ownership, tokenizer and chat
 * template, the KV cache kept in native tensors, sampling, the generation loop and embeddings.
 *
 * <p>Entry point: {@link dev.infer.engine.Models#load}. It has its own request and event types
 * and must not depend on Javalin, {@code java.net.http}, {@code protocol} or any other
 * {@code infer} package.
 */
package dev.infer.engine;
