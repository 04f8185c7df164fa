/**
 * {@code java.net.http} clients for the controller and the workers: JSON calls, the
 * {@code \0}-delimited generate stream, timeouts and bearer tokens.
 *
 * <p>Must not depend on Javalin or {@code engine}.
 */
package dev.infer.client;
