package dev.infer.cli;

import dev.infer.client.ControllerClient;
import picocli.CommandLine.Option;

/**
 * {@code --controller} and {@code --token} for the commands that ask a running controller
 * ({@code list}, {@code kill}, {@code test}), defaulting to {@code INFER_CONTROLLER} and
 * {@code INFER_TOKEN}.
 */
public final class ControllerOptions {
    @Option(names = "--controller", paramLabel = "URL",
            defaultValue = "${env:INFER_CONTROLLER:-" + ControllerClient.DEFAULT_URL + "}",
            description = "Controller to ask (default: $INFER_CONTROLLER, else "
                    + ControllerClient.DEFAULT_URL + ").")
    String url;

    @Option(names = "--token", defaultValue = "${env:INFER_TOKEN}", paramLabel = "SECRET",
            description = "Bearer token the cluster requires (default: $INFER_TOKEN).")
    String token;

    /** A client for the chosen controller, presenting the token. */
    ControllerClient client() {
        return new ControllerClient(url, token);
    }
}
