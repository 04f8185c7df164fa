package dev.infer.client;

import com.fasterxml.jackson.databind.JsonNode;
import dev.infer.protocol.ErrorCode;
import dev.infer.protocol.Json;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.Objects;

/**
 * JSON over HTTP with one shared {@link HttpClient}: POST a record, read a record back, map every
 * failure to a {@link ClientException} with a one-line message. Thread-safe.
 */
public final class JsonHttp {
    private static final HttpClient SHARED = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .followRedirects(HttpClient.Redirect.NEVER)
            .build();

    private final HttpClient client;
    private final String token;

    /**
     * @param token bearer token sent on every call, or null
     */
    public JsonHttp(String token) {
        this(SHARED, token);
    }

    public JsonHttp(HttpClient client, String token) {
        this.client = Objects.requireNonNull(client);
        this.token = token == null || token.isEmpty() ? null : token;
    }

    public HttpClient client() {
        return client;
    }

    /** The bearer token sent on every call, or null. */
    String token() {
        return token;
    }

    /** A POST request with a JSON body (or none when {@code body} is null) and the token. */
    public HttpRequest.Builder post(String url, Object body, Duration timeout) {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(url))
                .timeout(timeout)
                .header("Content-Type", "application/json")
                .POST(body == null
                        ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(Json.write(body)));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return b;
    }

    /** POSTs {@code body} and reads the answer as {@code type}; {@code Void.class} ignores it. */
    public <T> T call(String url, Object body, Class<T> type, Duration timeout) {
        HttpResponse<byte[]> response = send(post(url, body, timeout).build(), HttpResponse.BodyHandlers.ofByteArray());
        checkStatus(url, response.statusCode(), response.body());
        if (type == Void.class) {
            return null;
        }
        try {
            return Json.mapper().readValue(response.body(), type);
        } catch (IOException e) {
            throw new ClientException(ClientException.Kind.BAD_RESPONSE, response.statusCode(), null,
                    url + ": unexpected answer: " + e.getMessage().lines().findFirst().orElse(""), e);
        }
    }

    /**
     * As {@link #call(String, Object, Class, Duration)}, but reads at most {@code maxBytes} of the
     * answer: a longer one fails as {@link ClientException.Kind#BAD_RESPONSE} without being read
     * to its end.
     */
    public <T> T call(String url, Object body, Class<T> type, Duration timeout, int maxBytes) {
        HttpResponse<InputStream> response = send(post(url, body, timeout).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        byte[] bytes;
        try (InputStream in = response.body()) {
            bytes = in.readNBytes(maxBytes + 1);
        } catch (IOException e) {
            throw new ClientException(ClientException.Kind.UNREACHABLE, response.statusCode(), null,
                    url + ": answer broken: " + e.getMessage(), e);
        }
        if (bytes.length > maxBytes) {
            throw new ClientException(ClientException.Kind.BAD_RESPONSE, response.statusCode(),
                    null, url + ": answer larger than " + maxBytes + " bytes", null);
        }
        checkStatus(url, response.statusCode(), bytes);
        try {
            return Json.mapper().readValue(bytes, type);
        } catch (IOException e) {
            throw new ClientException(ClientException.Kind.BAD_RESPONSE, response.statusCode(), null,
                    url + ": unexpected answer: " + e.getMessage().lines().findFirst().orElse(""), e);
        }
    }

    /** GETs a URL as text. */
    public String getText(String url, Duration timeout) {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(url)).timeout(timeout).GET();
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        HttpResponse<String> response = send(b.build(), HttpResponse.BodyHandlers.ofString());
        checkStatus(url, response.statusCode(), response.body().getBytes(java.nio.charset.StandardCharsets.UTF_8));
        return response.body();
    }

    /**
     * Sends a request and returns the response with its body as a stream; the caller closes it.
     * Error statuses are turned into exceptions after reading the (small) error body.
     */
    public HttpResponse<InputStream> stream(HttpRequest request) {
        HttpResponse<InputStream> response = send(request, HttpResponse.BodyHandlers.ofInputStream());
        if (response.statusCode() >= 400) {
            byte[] body;
            try (InputStream in = response.body()) {
                body = in.readNBytes(64 * 1024);
            } catch (IOException e) {
                body = new byte[0];
            }
            checkStatus(request.uri().toString(), response.statusCode(), body);
        }
        return response;
    }

    /** Sends, mapping transport failures to {@link ClientException}. */
    public <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler) {
        String url = request.uri().toString();
        try {
            return client.send(request, handler);
        } catch (HttpTimeoutException e) {
            if (e instanceof HttpConnectTimeoutException) {
                throw ClientException.unreachable(url, e, "");
            }
            throw new ClientException(ClientException.Kind.TIMEOUT, 0, ErrorCode.CONTROLLER_WORKER_TIMEOUT,
                    url + ": no answer within " + request.timeout().map(Duration::toString).orElse("the timeout"), e);
        } catch (IOException e) {
            throw ClientException.unreachable(url, e, "");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ClientException(ClientException.Kind.TIMEOUT, 0, null, url + ": interrupted", e);
        }
    }

    static void checkStatus(String url, int status, byte[] body) {
        if (status < 400) {
            return;
        }
        String message = "HTTP " + status;
        ErrorCode code = null;
        try {
            JsonNode node = Json.mapper().readTree(body);
            if (node != null && node.hasNonNull("text")) {
                message = node.get("text").asText();
            } else if (node != null && node.path("error").hasNonNull("message")) {
                message = node.path("error").get("message").asText();
            }
            if (node != null && node.has("error_code")) {
                code = ErrorCode.of(node.get("error_code").asInt()).orElse(null);
            }
        } catch (IOException | RuntimeException e) {
            // Not JSON: keep the status line as the message.
        }
        throw new ClientException(ClientException.Kind.ERROR_RESPONSE, status, code, url + ": " + message, null);
    }

    private static URI uri(String url) {
        try {
            return URI.create(url);
        } catch (IllegalArgumentException e) {
            throw new ClientException(ClientException.Kind.UNREACHABLE, 0, null,
                    "not a valid URL: " + url, e);
        }
    }
}
