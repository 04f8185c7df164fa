package dev.infer.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The demo model shipped in the jar, through the same {@link Models#load} path as any model: it
 * loads, writes mostly dictionary words at temperature 0 and stops on its EOS token. The word list
 * ({@code demo-words.txt}) holds the words that occur at least twice in its training corpus.
 */
class DemoModelTest {
    private static final Pattern WORD = Pattern.compile("[A-Za-z]+");
    private static LoadedModel model;

    @BeforeAll
    static void load() {
        model = Models.load(DemoModel.path(), ModelOptions.defaults());
    }

    @AfterAll
    static void close() {
        if (model != null) {
            model.close();
        }
    }

    private static GenerationResult chat(String userText, int maxNewTokens) throws Exception {
        String prompt = model.renderChat(List.of(new Message("user", userText)));
        return model.submit(GenerationRequest.greedy(prompt, maxNewTokens), GenerationListener.NONE)
                .result().get(60, TimeUnit.SECONDS);
    }

    private static Set<String> dictionary() throws IOException {
        try (InputStream in = DemoModelTest.class.getResourceAsStream("demo-words.txt")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines()
                    .collect(Collectors.toSet());
        }
    }

    @Test
    void shipped_model_loads_as_a_decoder_with_a_kv_cache() {
        assertEquals(ModelKind.DECODER, model.info().kind());
        assertTrue(model.info().kvCache(), "the demo model has past_key_values inputs");
        assertEquals(256, model.info().contextLength());
    }

    @Test
    void greedy_answer_is_mostly_dictionary_words() throws Exception {
        Set<String> words = dictionary();
        for (String question : List.of("Tell me something about computers.", "Hello!")) {
            String text = chat(question, 48).text();
            Matcher m = WORD.matcher(text);
            int total = 0;
            int known = 0;
            while (m.find()) {
                total++;
                known += words.contains(m.group().toLowerCase(java.util.Locale.ROOT)) ? 1 : 0;
            }
            assertTrue(total >= 3, "too few words for '" + question + "': " + text);
            assertTrue(known >= 0.8 * total,
                    known + " of " + total + " words known for '" + question + "': " + text);
        }
    }

    @Test
    void generation_stops_on_its_end_of_text_token() throws Exception {
        GenerationResult result = chat(EOS_PROMPT, 200);
        assertEquals(FinishReason.STOP, result.finishReason(), result.text());
        assertTrue(result.completionTokens() < 200, result.text());
    }

    @Test
    void ignore_eos_runs_the_same_question_to_its_token_limit() throws Exception {
        String prompt = model.renderChat(List.of(new Message("user", EOS_PROMPT)));
        GenerationResult stopped = chat(EOS_PROMPT, 200);
        GenerationResult result = model.submit(new GenerationRequest(prompt, 200,
                SamplingParams.GREEDY, List.of(), List.of(), false, true), GenerationListener.NONE)
                .result().get(60, TimeUnit.SECONDS);
        assertEquals(FinishReason.LENGTH, result.finishReason());
        assertEquals(200, result.completionTokens());
        assertTrue(result.text().startsWith(stopped.text()), result.text());
    }

    /** A question whose greedy answer ends with EOS (see tools/demo-model/README.md samples). */
    private static final String EOS_PROMPT = "Hello!";

    @Test
    void extraction_writes_the_files_once_and_reuses_them(@TempDir Path cache) throws IOException {
        Path first = DemoModel.extract(cache);
        assertTrue(Files.isRegularFile(first.resolve("model.onnx")));
        assertTrue(Files.isRegularFile(first.resolve("tokenizer.json")));
        long modified = Files.getLastModifiedTime(first.resolve("model.onnx")).toMillis();
        Path second = DemoModel.extract(cache);
        assertEquals(first, second);
        assertEquals(modified, Files.getLastModifiedTime(second.resolve("model.onnx")).toMillis());
        assertEquals(DemoModel.NAME, first.getFileName().toString(), "served as infer-demo");
        try (var entries = Files.list(first.getParent())) {
            assertEquals(1, entries.count(), "no temporary folders left behind");
        }
    }
}
