package dev.infer.protocol;

import java.util.List;

/**
 * One worker as the operator endpoint {@code POST /list_workers} shows it (an extension to
 * FastChat's protocol).
 *
 * @param state {@code "healthy"} or another word the controller uses for a worker it avoids
 */
public record WorkerInfo(
        String workerName,
        List<String> modelNames,
        double speed,
        int queueLength,
        double lastHeartBeatSecondsAgo,
        String state) {}
