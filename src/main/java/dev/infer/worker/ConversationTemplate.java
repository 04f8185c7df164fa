package dev.infer.worker;

import java.util.List;

/**
 * The {@code conv} object of {@code /worker_get_conv_template}, in the shape of FastChat's
 * {@code Conversation} dataclass, so FastChat's API server can read it. Our workers render chats
 * with the model's own Jinja template instead (send {@code messages}); this object describes a
 * plain {@code role: content} transcript for clients that build prompts themselves.
 *
 * @param sepStyle FastChat's {@code SeparatorStyle} number; 1 is {@code ADD_COLON_SINGLE}
 */
public record ConversationTemplate(
        String name,
        String systemTemplate,
        String systemMessage,
        List<String> roles,
        List<List<String>> messages,
        int offset,
        int sepStyle,
        String sep,
        String sep2,
        String stopStr,
        List<Integer> stopTokenIds) {

    /** A {@code role: content} transcript with one turn per line. */
    public static ConversationTemplate plain(String name) {
        return new ConversationTemplate(name, "{system_message}", "", List.of("user", "assistant"),
                List.of(), 0, 1, "\n", null, null, null);
    }
}
