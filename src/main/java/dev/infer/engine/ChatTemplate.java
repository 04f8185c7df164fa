package dev.infer.engine;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.interpret.Context;
import com.hubspot.jinjava.interpret.InterpretException;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.tree.Node;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import java.time.LocalDate;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A Hugging Face chat template (Jinja) rendered with Jinjava, or a plain {@code role: content}
 * transcript for models that have none. The template is parsed once, when the model loads; each
 * render walks the parsed tree with a fresh interpreter (parsing on every request cost about ten
 * times the render itself). Thread-safe.
 */
final class ChatTemplate {
    private final String template;
    private final String bosToken;
    private final String eosToken;
    private final Jinjava jinjava;
    private final Node root;
    private final List<TemplateError> parseErrors;

    ChatTemplate(String template, String bosToken, String eosToken) {
        this.template = template;
        this.bosToken = bosToken;
        this.eosToken = eosToken;
        this.jinjava = template == null ? null : newJinjava();
        if (template == null) {
            this.root = null;
            this.parseErrors = List.of();
        } else {
            JinjavaInterpreter parser = jinjava.newInterpreter();
            this.root = parser.parse(template);
            this.parseErrors = List.copyOf(parser.getErrorsCopy());
        }
    }

    boolean hasTemplate() {
        return template != null;
    }

    /** Renders the conversation and the prompt for the assistant's turn. */
    String render(List<Message> messages) {
        if (messages == null || messages.isEmpty()) {
            throw new EngineException(EngineException.Reason.INVALID_INPUT,
                    "no messages to render");
        }
        if (template == null) {
            StringBuilder sb = new StringBuilder();
            for (Message m : messages) {
                sb.append(m.role()).append(": ").append(m.content()).append('\n');
            }
            return sb.append("assistant:").toString();
        }
        List<Map<String, Object>> turns = new ArrayList<>();
        for (Message m : messages) {
            Map<String, Object> turn = new LinkedHashMap<>();
            turn.put("role", m.role());
            turn.put("content", m.content());
            turns.add(turn);
        }
        Map<String, Object> context = new HashMap<>();
        context.put("messages", turns);
        context.put("bos_token", bosToken);
        context.put("eos_token", eosToken);
        context.put("add_generation_prompt", true);
        JinjavaInterpreter interpreter = new JinjavaInterpreter(jinjava,
                new Context(jinjava.getGlobalContext(), context,
                        jinjava.getGlobalConfig().getDisabled()),
                jinjava.getGlobalConfig());
        JinjavaInterpreter.pushCurrent(interpreter);
        String output;
        try {
            output = interpreter.render(root);
        } catch (InterpretException e) {
            throw new EngineException(EngineException.Reason.INVALID_INPUT,
                    "chat template: " + e.getMessage(), e);
        } finally {
            JinjavaInterpreter.popCurrent();
        }
        List<TemplateError> errors = new ArrayList<>(parseErrors);
        errors.addAll(interpreter.getErrorsCopy());
        for (TemplateError error : errors) {
            if (error.getSeverity() == TemplateError.ErrorType.FATAL) {
                throw new EngineException(EngineException.Reason.INVALID_INPUT,
                        "chat template: " + templateMessage(error));
            }
        }
        return output;
    }

    private static String templateMessage(TemplateError error) {
        // raise_exception's text arrives wrapped in Jinjava's own wording; show it unwrapped.
        for (Throwable t = error.getException(); t != null; t = t.getCause()) {
            if (t instanceof TemplateRaise) {
                return t.getMessage();
            }
        }
        return error.getMessage();
    }

    private static Jinjava newJinjava() {
        Jinjava jinjava = new Jinjava(JinjavaConfig.newBuilder()
                .withTrimBlocks(false)
                .withLstripBlocks(false)
                .build());
        jinjava.getGlobalContext().registerFunction(new ELFunctionDefinition(
                "", "raise_exception", ChatTemplate.class, "raiseException", String.class));
        jinjava.getGlobalContext().registerFunction(new ELFunctionDefinition(
                "", "strftime_now", ChatTemplate.class, "strftimeNow", String.class));
        return jinjava;
    }

    /** The template's {@code raise_exception(message)}: rejects the conversation. */
    public static String raiseException(String message) {
        throw new TemplateRaise(message);
    }

    /** The template's {@code strftime_now(format)} for the common date formats. */
    public static String strftimeNow(String format) {
        String pattern = format.replace("%d", "dd").replace("%B", "MMMM").replace("%b", "MMM")
                .replace("%Y", "yyyy").replace("%m", "MM");
        return LocalDate.now().format(DateTimeFormatter.ofPattern(pattern, Locale.ROOT));
    }

    /** What {@code raise_exception} throws. */
    static final class TemplateRaise extends RuntimeException {
        private static final long serialVersionUID = 1L;

        TemplateRaise(String message) {
            super(message);
        }
    }
}
