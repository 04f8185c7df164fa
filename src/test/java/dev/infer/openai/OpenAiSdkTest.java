package dev.infer.openai;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.errors.InternalServerException;
import com.openai.errors.NotFoundException;
import com.openai.errors.UnauthorizedException;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.completions.Completion;
import com.openai.models.completions.CompletionCreateParams;
import com.openai.models.embeddings.CreateEmbeddingResponse;
import com.openai.models.embeddings.EmbeddingCreateParams;
import com.openai.models.models.Model;
import dev.infer.protocol.ChatMessage;
import dev.infer.protocol.GenerateRequest;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The official OpenAI Java SDK, unchanged, against {@code infer api} on loopback. */
class OpenAiSdkTest {
    private FakeWorker worker;
    private FakeWorker embedder;
    private FakeController controller;
    private ApiServer api;
    private OpenAIClient client;

    @BeforeEach
    void start() {
        worker = FakeWorker.streaming("Hello", ", ", "world");
        embedder = FakeWorker.streaming("unused");
        controller = new FakeController().serve("tiny-chat", worker.address())
                .serve("tiny-embed", embedder.address());
        api = ApiServer.start(ApiConfig.local(controller.url()).withApiKeys(List.of("sk-test")));
        client = sdk("sk-test");
    }

    @AfterEach
    void stop() {
        client.close();
        api.close();
        controller.close();
        worker.close();
        embedder.close();
    }

    private OpenAIClient sdk(String key) {
        return OpenAIOkHttpClient.builder().baseUrl(api.baseUrl()
                + "/v1").apiKey(key).maxRetries(0).build();
    }

    private static ChatCompletionCreateParams.Builder chat(String model) {
        return ChatCompletionCreateParams.builder().model(model).addSystemMessage("Be brief.")
                .addUserMessage("Hi");
    }

    @Test
    void models_list_names_every_model_the_controller_serves() {
        List<String> ids = client.models().list().data().stream().map(Model::id).sorted().toList();
        assertEquals(List.of("tiny-chat", "tiny-embed"), ids);
        assertEquals("tiny-chat", client.models().retrieve("tiny-chat").id());
    }

    @Test
    void chat_completion_returns_the_worker_text_with_usage_and_sends_messages_not_a_prompt()
            throws Exception {
        ChatCompletion c = client.chat().completions().create(chat("tiny-chat").maxCompletionTokens(
                9).seed(42).build());
        assertEquals("Hello, world", c.choices().get(0).message().content().orElseThrow());
        assertEquals(ChatCompletion.Choice.FinishReason.STOP, c.choices().get(0).finishReason());
        assertEquals(5, c.usage().orElseThrow().promptTokens());
        assertEquals(3, c.usage().orElseThrow().completionTokens());
        assertEquals(8, c.usage().orElseThrow().totalTokens());
        assertTrue(c.id().startsWith("chatcmpl-"), c.id());
        assertEquals("tiny-chat", c.model());
        assertTrue(c.systemFingerprint().orElseThrow().startsWith("fp_"));
        GenerateRequest sent = worker.requests.poll(5, TimeUnit.SECONDS);
        assertNull(sent.prompt());
        assertEquals(List.of(new ChatMessage("system", "Be brief."), new ChatMessage("user", "Hi")),
                sent.messages());
        assertEquals(9, sent.maxNewTokens());
        assertEquals(42L, sent.seed());
    }

    @Test
    void n_choices_come_back_each_with_its_own_seed() throws Exception {
        ChatCompletion c = client.chat().completions().create(chat("tiny-chat").n(3).seed(7)
                .build());
        assertEquals(3, c.choices().size());
        assertEquals(List.of(0L, 1L, 2L), c.choices().stream().map(ChatCompletion.Choice::index)
                .toList());
        assertEquals(9, c.usage().orElseThrow().completionTokens());
        assertEquals(5, c.usage().orElseThrow().promptTokens());
        List<Long> seeds = List.of(worker.requests.poll(5, TimeUnit.SECONDS).seed(),
                worker.requests.poll(5, TimeUnit.SECONDS).seed(), worker.requests.poll(5,
                        TimeUnit.SECONDS).seed());
        assertEquals(List.of(7L, 8L, 9L), seeds.stream().sorted().toList());
    }

    @Test
    void streamed_chat_carries_the_role_first_then_deltas_then_one_usage_chunk() {
        ChatCompletionCreateParams params = chat("tiny-chat")
                .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build())
                        .build();
        List<ChatCompletionChunk> chunks;
        try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions()
                .createStreaming(params)) {
            chunks = stream.stream().toList();
        }
        assertEquals("assistant", chunks.get(0).choices().get(0).delta().role().orElseThrow()
                .asString());
        StringBuilder text = new StringBuilder();
        for (ChatCompletionChunk c : chunks) {
            c.choices().forEach(ch -> ch.delta().content().ifPresent(text::append));
        }
        assertEquals("Hello, world", text.toString());
        ChatCompletionChunk finish = chunks.get(chunks.size() - 2);
        assertEquals(ChatCompletionChunk.Choice.FinishReason.STOP,
                finish.choices().get(0).finishReason().orElseThrow());
        ChatCompletionChunk usage = chunks.get(chunks.size() - 1);
        assertTrue(usage.choices().isEmpty());
        assertEquals(8, usage.usage().orElseThrow().totalTokens());
        assertEquals(1, chunks.stream().filter(c -> c.usage().isPresent()).count());
    }

    @Test
    void a_streamed_chat_with_n_two_delivers_both_choices_by_index() {
        String[] texts = {"", ""};
        long[] finishes = {0, 0};
        try (StreamResponse<ChatCompletionChunk> stream =
                client.chat().completions().createStreaming(chat("tiny-chat").n(2).build())) {
            stream.stream().flatMap(c -> c.choices().stream()).forEach(ch -> {
                int i = (int) ch.index();
                texts[i] += ch.delta().content().orElse("");
                finishes[i] += ch.finishReason().isPresent() ? 1 : 0;
            });
        }
        assertEquals(List.of("Hello, world", "Hello, world"), List.of(texts));
        assertEquals(1, finishes[0]);
        assertEquals(1, finishes[1]);
    }

    @Test
    void a_streamed_completion_arrives_as_text_completion_chunks() {
        StringBuilder text = new StringBuilder();
        try (StreamResponse<Completion> stream = client.completions().createStreaming(
                CompletionCreateParams.builder().model("tiny-chat").prompt("Say").build())) {
            stream.stream().forEach(c -> {
                assertEquals("text_completion", c._object_().asString().orElseThrow());
                c.choices().forEach(ch -> text.append(ch.text()));
            });
        }
        assertEquals("Hello, world", text.toString());
    }

    @Test
    void completion_returns_the_prompt_continuation() throws Exception {
        Completion c = client.completions().create(CompletionCreateParams.builder()
                .model("tiny-chat").prompt("Say hello").maxTokens(3).stop("\n").build());
        assertEquals("Hello, world", c.choices().get(0).text());
        assertTrue(c.id().startsWith("cmpl-"));
        GenerateRequest sent = worker.requests.poll(5, TimeUnit.SECONDS);
        assertEquals("Say hello", sent.prompt());
        assertEquals(List.of("\n"), sent.stop());
        assertEquals(3, sent.maxNewTokens());
    }

    @Test
    void embeddings_come_back_as_floats() {
        CreateEmbeddingResponse r = client.embeddings().create(EmbeddingCreateParams.builder()
                .model("tiny-embed").input("four").encodingFormat(
                        EmbeddingCreateParams.EncodingFormat.FLOAT).build());
        assertEquals(List.of(4f, 0.5f, -1.25f), r.data().get(0).embedding());
        assertEquals(7, r.usage().promptTokens());
    }

    @Test
    void embeddings_come_back_as_base64_little_endian_floats() {
        CreateEmbeddingResponse r = client.embeddings().create(EmbeddingCreateParams.builder()
                .model("tiny-embed").input("seven!!").encodingFormat(
                        EmbeddingCreateParams.EncodingFormat.BASE64)
                .build());
        assertTrue(r.data().get(0).embeddingValue().isBase64(), "the SDK received base64");
        assertEquals(List.of(7f, 0.5f, -1.25f), r.data().get(0).embedding());
    }

    @Test
    void a_wrong_api_key_is_a_401() {
        OpenAIClient wrong = sdk("sk-wrong");
        try {
            UnauthorizedException e = assertThrows(UnauthorizedException.class,
                    () -> wrong.models().list());
            assertEquals("invalid_api_key", e.code().orElseThrow());
        } finally {
            wrong.close();
        }
    }

    @Test
    void an_unknown_model_is_a_404_naming_the_param() {
        NotFoundException e = assertThrows(NotFoundException.class,
                () -> client.chat().completions().create(chat("no-such-model").build()));
        assertEquals("model", e.param().orElseThrow());
        assertEquals("model_not_found", e.code().orElseThrow());
        assertTrue(e.getMessage().contains("no-such-model"), e.getMessage());
    }

    @Test
    void a_model_without_a_worker_is_a_503() {
        controller.serve("orphan");
        InternalServerException e = assertThrows(InternalServerException.class,
                () -> client.chat().completions().create(chat("orphan").build()));
        assertEquals(503, e.statusCode());
        assertTrue(e.getMessage().contains("no worker serves model 'orphan'"), e.getMessage());
    }
}
