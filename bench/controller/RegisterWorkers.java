import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * Registers N fake workers with a controller, each with its status in the request (as FastChat's
 * workers send it), so the controller never calls them. Worker i is http://127.0.0.1:(30000+i)
 * and serves "bench-model". Run with: java bench/controller/RegisterWorkers.java URL N
 */
public class RegisterWorkers {
    public static void main(String[] args) throws Exception {
        String controller = args[0];
        int n = Integer.parseInt(args[1]);
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        for (int i = 1; i <= n; i++) {
            String body = "{\"worker_name\": \"http://127.0.0.1:" + (30000 + i) + "\", "
                    + "\"check_heart_beat\": true, \"worker_status\": {\"model_names\": [\"bench-model\"], "
                    + "\"speed\": 1, \"queue_length\": 0}, \"multimodal\": false}";
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(controller + "/register_worker"))
                    .timeout(Duration.ofSeconds(10))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                System.err.println("register " + i + " failed: " + r.statusCode() + " " + r.body());
                System.exit(1);
            }
        }
    }
}
