/**
 * FastChat's wire protocol: the JSON records that controller, workers and clients exchange, the
 * error codes with their HTTP statuses, the one {@link dev.infer.protocol.Json} mapper and the
 * {@code \0}-delimited stream framing.
 *
 * <p>Must not depend on Javalin, ONNX Runtime, {@code java.net.http} or any other {@code infer}
 * package.
 */
package dev.infer.protocol;
