/**
 * The OpenAI-compatible API server: request and response records, Server-Sent Events, the mapping
 * to and from the FastChat protocol, API keys and OpenAI's error object.
 *
 * <p>Must not depend on {@code controller}, {@code worker} or {@code engine}.
 */
package dev.infer.openai;
