/**
 * Metric names and their registration with the Prometheus Java client, which also renders the
 * text exposition format for {@code GET /metrics}.
 *
 * <p>Must not depend on any other {@code infer} package.
 */
package dev.infer.metrics;
