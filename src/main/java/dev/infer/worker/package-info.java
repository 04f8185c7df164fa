/**
 * The model worker: HTTP routes over one loaded model, admission ({@code --limit-concurrency}
 * and the queue), registration and heartbeats, drain on shutdown. Maps protocol requests to
 * engine requests.
 *
 * <p>Must not depend on {@code controller} or {@code openai}.
 */
package dev.infer.worker;
