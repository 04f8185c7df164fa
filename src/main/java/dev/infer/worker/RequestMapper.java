package dev.infer.worker;

import dev.infer.engine.GenerationRequest;
import dev.infer.engine.LoadedModel;
import dev.infer.engine.Message;
import dev.infer.engine.ModelInfo;
import dev.infer.engine.SamplingParams;
import dev.infer.protocol.ChatMessage;
import dev.infer.protocol.ErrorCode;
import dev.infer.protocol.GenerateRequest;
import dev.infer.protocol.ProtocolException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Checks a FastChat generate request and turns it into an engine request. Every refusal is a
 * {@link ProtocolException} whose one-line message names the parameter and the allowed range.
 *
 * <p>Sampling parameters a request leaves out come from the model's
 * {@code generation_config.json} ({@link LoadedModel#defaultSampling()}: greedy unless it sets
 * {@code do_sample}); {@code max_new_tokens} defaults to FastChat's 256, cut to what the context
 * has room for. {@code echo} defaults to false, unlike FastChat's worker, which echoes unless told
 * otherwise; every FastChat client sends {@code echo} explicitly, so only bare requests differ.
 */
public final class RequestMapper {
    /** FastChat's default for {@code max_new_tokens}. */
    public static final int DEFAULT_MAX_NEW_TOKENS = 256;
    private static final Set<String> ROLES = Set.of("system", "user", "assistant");

    private final LoadedModel model;

    public RequestMapper(LoadedModel model) {
        this.model = model;
    }

    /** A validated request: the engine request and the prompt's size in tokens. */
    public record Prepared(GenerationRequest request, String prompt, int promptTokens) {}

    /**
     * Validates {@code r} against the model: 40301 for a model this worker does not serve,
     * 40001 for a missing or doubled prompt, 40302 for a value out of range, 40303 when the prompt
     * and {@code max_new_tokens} do not fit the context window.
     */
    public Prepared prepare(GenerateRequest r) {
        checkModel(r.model());
        String prompt = prompt(r);
        SamplingParams defaults = model.defaultSampling();
        double temperature = value(r.temperature(), defaults.temperature());
        if (!Double.isFinite(temperature) || temperature < 0) {
            throw outOfRange("temperature", temperature, "a number >= 0");
        }
        double topP = value(r.topP(), defaults.topP());
        if (!Double.isFinite(topP) || topP < 0 || topP > 1) {
            throw outOfRange("top_p", topP, "a number in [0, 1]");
        }
        // As in FastChat, top_p 0 (or anything too small to matter) turns the filter off.
        if (topP < 1e-8) {
            topP = 1.0;
        }
        int topK = r.topK() == null ? defaults.topK() : r.topK();
        if (topK < -1) {
            throw outOfRange("top_k", topK, "-1 or 0 (off) or a positive count");
        }
        double penalty = value(r.repetitionPenalty(), defaults.repetitionPenalty());
        if (!Double.isFinite(penalty) || penalty <= 0) {
            throw outOfRange("repetition_penalty", penalty, "a number > 0");
        }
        if (r.logprobs() != null && r.logprobs() > 0) {
            // TODO: log probabilities are not exposed by the engine; clients asking for them are
            // refused.
            throw outOfRange(
                    "logprobs", r.logprobs(), "0 or absent (this worker returns no logprobs)");
        }
        ModelInfo info = model.info();
        List<Integer> stopIds = r.stopTokenIds() == null ? List.of() : r.stopTokenIds();
        for (Integer id : stopIds) {
            if (id == null || id < 0 || id >= info.vocabSize()) {
                throw outOfRange(
                        "stop_token_ids", id, "token ids in [0, " + info.vocabSize() + ")");
            }
        }
        List<String> stop = r.stop() == null ? List.of() : r.stop();
        for (String s : stop) {
            if (s == null || s.isEmpty()) {
                throw new ProtocolException(ErrorCode.PARAM_OUT_OF_RANGE,
                        "stop: strings must not be empty or null");
            }
        }
        int promptTokens = model.countTokens(prompt);
        int context = info.contextLength();
        int maxNew;
        if (r.maxNewTokens() == null) {
            maxNew = Math.max(1, Math.min(DEFAULT_MAX_NEW_TOKENS, context - promptTokens));
        } else {
            maxNew = r.maxNewTokens();
            if (maxNew < 1) {
                throw outOfRange("max_new_tokens", maxNew, "an integer >= 1");
            }
        }
        long needed = (long) promptTokens + maxNew;
        if (needed > context) {
            throw new ProtocolException(
                    ErrorCode.CONTEXT_OVERFLOW,
                    "this model's context length is "
                            + context
                            + " tokens, but the prompt has "
                            + promptTokens
                            + " tokens and max_new_tokens asks for "
                            + maxNew
                            + " ("
                            + needed
                            + " in all); shorten the prompt or lower max_new_tokens");
        }
        // FastChat treats a temperature this small as greedy decoding.
        SamplingParams sampling = temperature < 1e-5
                ? new SamplingParams(0, 1, 0, penalty, r.seed())
                : new SamplingParams(temperature, topP, Math.max(topK, 0), penalty, r.seed());
        boolean echo = Boolean.TRUE.equals(r.echo());
        return new Prepared(new GenerationRequest(prompt, maxNew, sampling, stop, stopIds, echo,
                Boolean.TRUE.equals(r.ignoreEos())), prompt, promptTokens);
    }

    /** 40301 unless {@code name} is null (FastChat clients may omit it) or the served name. */
    public void checkModel(String name) {
        String served = model.info().name();
        if (name != null && !name.equals(served)) {
            throw new ProtocolException(
                    ErrorCode.INVALID_MODEL,
                    "model '"
                            + name
                            + "' is not served by this worker; it serves '"
                            + served
                            + "'");
        }
    }

    private String prompt(GenerateRequest r) {
        if (r.prompt() != null && r.messages() != null) {
            throw ProtocolException.invalid("give either 'prompt' or 'messages', not both");
        }
        if (r.prompt() != null) {
            return r.prompt();
        }
        if (r.messages() == null) {
            throw ProtocolException.invalid(
                    "'prompt' (a string) or 'messages' (a list) is required");
        }
        if (r.messages().isEmpty()) {
            throw ProtocolException.invalid("'messages' must hold at least one message");
        }
        List<Message> messages = new ArrayList<>(r.messages().size());
        for (int i = 0; i < r.messages().size(); i++) {
            ChatMessage m = r.messages().get(i);
            if (m == null || m.role() == null || m.content() == null) {
                throw ProtocolException.invalid(
                        "messages[" + i + "] needs a 'role' and a 'content'");
            }
            if (!ROLES.contains(m.role())) {
                throw ProtocolException.invalid("messages[" + i + "].role is '" + m.role()
                        + "'; expected system, user or assistant");
            }
            messages.add(new Message(m.role(), m.content()));
        }
        return model.renderChat(messages);
    }

    private static double value(Double v, double fallback) {
        return v == null ? fallback : v;
    }

    private static ProtocolException outOfRange(String name, Object value, String expected) {
        return new ProtocolException(ErrorCode.PARAM_OUT_OF_RANGE,
                name + " is " + value + "; expected " + expected);
    }
}
