package dev.infer.client;

import dev.infer.protocol.HeartbeatRequest;
import dev.infer.protocol.HeartbeatResponse;
import dev.infer.protocol.KillRequest;
import dev.infer.protocol.KillResponse;
import dev.infer.protocol.ModelList;
import dev.infer.protocol.RegisterWorkerRequest;
import dev.infer.protocol.WorkerAddressRequest;
import dev.infer.protocol.WorkerAddressResponse;
import dev.infer.protocol.WorkerList;
import dev.infer.protocol.WorkerStatus;
import java.time.Duration;
import java.util.List;

/** Calls a controller's endpoints. Thread-safe. */
public final class ControllerClient {
    /** Where clients look for a controller when neither a flag nor INFER_CONTROLLER says. */
    public static final String DEFAULT_URL = "http://127.0.0.1:21001";

    private final String baseUrl;
    private final JsonHttp http;
    private final Duration timeout;

    public ControllerClient(String baseUrl, String token) {
        this(baseUrl, new JsonHttp(token), Duration.ofSeconds(10));
    }

    public ControllerClient(String baseUrl, JsonHttp http, Duration timeout) {
        this.baseUrl = stripSlash(baseUrl);
        this.http = http;
        this.timeout = timeout;
    }

    public String baseUrl() {
        return baseUrl;
    }

    public void register(String workerName, WorkerStatus status) {
        http.call(baseUrl + "/register_worker",
                new RegisterWorkerRequest(workerName, true, status, false), Void.class, timeout);
    }

    /** Sends a heartbeat; false means the controller does not know this worker (re-register). */
    public boolean heartbeat(String workerName, int queueLength) {
        return http.call(baseUrl + "/receive_heart_beat",
                new HeartbeatRequest(workerName, queueLength), HeartbeatResponse.class, timeout).exist();
    }

    /** The address of a worker for {@code model}, or "" when none serves it. */
    public String workerAddress(String model) {
        WorkerAddressResponse r = http.call(baseUrl + "/get_worker_address",
                new WorkerAddressRequest(model), WorkerAddressResponse.class, timeout);
        return r.address() == null ? "" : r.address();
    }

    public List<String> listModels() {
        ModelList list = http.call(baseUrl + "/list_models", null, ModelList.class, timeout);
        return list.models() == null ? List.of() : list.models();
    }

    public WorkerList listWorkers() {
        return http.call(baseUrl + "/list_workers", null, WorkerList.class, timeout);
    }

    public KillResponse kill(KillRequest request) {
        return http.call(baseUrl + "/kill_worker", request, KillResponse.class, timeout);
    }

    public void refreshAllWorkers() {
        http.call(baseUrl + "/refresh_all_workers", null, Void.class, timeout);
    }

    static String stripSlash(String url) {
        return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    }
}
