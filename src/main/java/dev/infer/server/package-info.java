/**
 * The Javalin bootstrap shared by controller, worker and API server: the JSON mapper, the one
 * exception-to-response mapper, {@code /health}, {@code /metrics}, the {@code --token} check,
 * loopback by default, port 0 for tests, and virtual threads where the JDK has them.
 *
 * <p>Must not depend on {@code controller}, {@code worker}, {@code openai} or {@code engine}.
 */
package dev.infer.server;
