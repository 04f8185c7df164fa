package dev.infer.protocol;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * FastChat's stream framing: each JSON object is followed by one {@code \0} byte. JSON text never
 * contains a raw NUL (it is escaped as {@code \u0000}), so the delimiter is unambiguous.
 */
public final class StreamFrames {
    public static final byte DELIMITER = 0;

    private StreamFrames() {}

    /** The bytes of one frame: the object's JSON and the delimiter. */
    public static byte[] frame(Object value) {
        byte[] json = Json.write(value).getBytes(StandardCharsets.UTF_8);
        byte[] out = new byte[json.length + 1];
        System.arraycopy(json, 0, out, 0, json.length);
        out[json.length] = DELIMITER;
        return out;
    }

    /** Reads frames from a stream, one at a time. Not thread-safe. */
    public static final class Reader {
        private final InputStream in;
        private final int maxFrameBytes;
        private final ByteArrayOutputStream buffer = new ByteArrayOutputStream();

        public Reader(InputStream in, int maxFrameBytes) {
            this.in = in instanceof java.io.BufferedInputStream ? in : new java.io.BufferedInputStream(in);
            this.maxFrameBytes = maxFrameBytes;
        }

        /**
         * Blocks until the next whole frame and returns its JSON text, or null at the end of the
         * stream. A trailing frame without a delimiter is returned too: a server that closes
         * without the last {@code \0} still delivered its object.
         */
        public String next() throws IOException {
            buffer.reset();
            int b;
            while ((b = in.read()) != -1) {
                if (b == DELIMITER) {
                    if (buffer.size() == 0) {
                        continue;
                    }
                    return buffer.toString(StandardCharsets.UTF_8);
                }
                buffer.write(b);
                if (buffer.size() > maxFrameBytes) {
                    throw new IOException("stream frame larger than " + maxFrameBytes + " bytes");
                }
            }
            String rest = buffer.toString(StandardCharsets.UTF_8).strip();
            return rest.isEmpty() ? null : rest;
        }
    }
}
