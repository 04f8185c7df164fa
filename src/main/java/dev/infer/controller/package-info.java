/**
 * The controller: the worker registry, heartbeat expiry on an injected clock, dispatch policies
 * and the controller's HTTP routes.
 *
 * <p>Must not depend on {@code engine}, {@code worker}, {@code openai} or ONNX Runtime.
 */
package dev.infer.controller;
