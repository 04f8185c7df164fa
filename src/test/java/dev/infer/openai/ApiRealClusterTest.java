package dev.infer.openai;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.embeddings.CreateEmbeddingResponse;
import com.openai.models.embeddings.EmbeddingCreateParams;
import com.openai.models.models.Model;
import dev.infer.controller.ControllerServer;
import dev.infer.engine.ModelOptions;
import dev.infer.engine.Models;
import dev.infer.testing.Await;
import dev.infer.testing.SharedModels;
import dev.infer.worker.WorkerOptions;
import dev.infer.worker.WorkerServer;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The OpenAI SDK against {@code infer api} in front of a real controller and real workers running
 * the shared tiny Llama (chat) and MiniLM (embeddings) models with ONNX Runtime.
 */
class ApiRealClusterTest {
    private static final String CHAT_MODEL = "tiny-llama";
    private static final String EMBED_MODEL = "minilm";
    private static ControllerServer controller;
    private static WorkerServer chatWorker;
    private static WorkerServer embedWorker;
    private static ApiServer api;
    private static OpenAIClient client;

    @BeforeAll
    static void start() {
        var llama = SharedModels.require(SharedModels.LLAMA_FP16);
        var minilm = SharedModels.require(SharedModels.MINILM);
        controller = ControllerServer.config().port(0).start();
        chatWorker = WorkerServer.start(Models.load(llama, ModelOptions.named(CHAT_MODEL)),
                WorkerOptions.builder().port(0).controllerUrl(controller.baseUrl()).build());
        embedWorker = WorkerServer.start(Models.load(minilm, ModelOptions.named(EMBED_MODEL)),
                WorkerOptions.builder().port(0).controllerUrl(controller.baseUrl()).build());
        api = ApiServer.start(ApiConfig.local(controller.baseUrl()));
        client = OpenAIOkHttpClient.builder().baseUrl(api.baseUrl()
                + "/v1").apiKey("unused").maxRetries(0).build();
        Await.until(Duration.ofSeconds(20), "both workers registered",
                () -> client.models().list().data().size() == 2);
    }

    @AfterAll
    static void stop() {
        for (AutoCloseable c : new AutoCloseable[] {api, embedWorker, chatWorker, controller}) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
        if (client != null) {
            client.close();
        }
    }

    private static ChatCompletionCreateParams.Builder greedy() {
        return ChatCompletionCreateParams.builder().model(CHAT_MODEL).addUserMessage("Hello there")
                .temperature(0.0).maxCompletionTokens(6);
    }

    @Test
    void models_list_both_workers_models() {
        assertEquals(List.of(EMBED_MODEL, CHAT_MODEL),
                client.models().list().data().stream().map(Model::id).sorted().toList());
    }

    @Test
    void a_streamed_greedy_answer_equals_the_whole_one_and_reports_usage() {
        ChatCompletion whole = client.chat().completions().create(greedy().build());
        String text = whole.choices().get(0).message().content().orElseThrow();
        assertFalse(text.isEmpty());
        assertEquals(6, whole.usage().orElseThrow().completionTokens());
        assertEquals(ChatCompletion.Choice.FinishReason.LENGTH,
                whole.choices().get(0).finishReason());

        StringBuilder streamed = new StringBuilder();
        List<ChatCompletionChunk> chunks;
        try (StreamResponse<ChatCompletionChunk> s = client.chat().completions().createStreaming(
                greedy().streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true)
                        .build()).build())) {
            chunks = s.stream().toList();
        }
        chunks.forEach(c -> c.choices().forEach(ch -> ch.delta().content().ifPresent(
                streamed::append)));
        assertEquals(text, streamed.toString());
        assertEquals(whole.usage().orElseThrow().totalTokens(),
                chunks.get(chunks.size() - 1).usage().orElseThrow().totalTokens());
    }

    @Test
    void embeddings_in_base64_decode_to_the_float_ones() {
        EmbeddingCreateParams.Builder p = EmbeddingCreateParams.builder().model(EMBED_MODEL).input(
                "a small test");
        CreateEmbeddingResponse floats = client.embeddings().create(
                p.encodingFormat(EmbeddingCreateParams.EncodingFormat.FLOAT).build());
        CreateEmbeddingResponse base64 = client.embeddings().create(
                p.encodingFormat(EmbeddingCreateParams.EncodingFormat.BASE64).build());
        assertEquals(384, floats.data().get(0).embedding().size());
        assertEquals(floats.data().get(0).embedding(), base64.data().get(0).embedding());
        assertTrue(floats.usage().promptTokens() > 0);
    }
}
