package dev.infer.server;

import dev.infer.protocol.ErrorCode;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import java.io.IOException;

/**
 * Caps request bodies in size and in time. Javalin checks the size limit only against the
 * declared length, so a chunked body (no {@code Content-Length}) would otherwise be read whole
 * into memory; reading past the limit fails the request with 413. And a body still arriving
 * after the deadline (a slow-loris client trickling a byte now and then, which no idle timeout
 * catches) fails it with 408, so it holds a request thread for that long at most.
 */
final class BodyLimit implements Filter {
    private final long maxBytes;
    private final long deadlineNanos;

    BodyLimit(long maxBytes, java.time.Duration deadline) {
        this.maxBytes = maxBytes;
        this.deadlineNanos = deadline.toNanos();
    }

    @Override
    public void doFilter(ServletRequest request, ServletResponse response, FilterChain chain)
            throws IOException, ServletException {
        if (request instanceof HttpServletRequest http) {
            chain.doFilter(new Capped(http, maxBytes, System.nanoTime() + deadlineNanos),
                    response);
        } else {
            chain.doFilter(request, response);
        }
    }

    private static final class Capped extends HttpServletRequestWrapper {
        private final long maxBytes;
        private final long deadline;
        private ServletInputStream stream;

        Capped(HttpServletRequest request, long maxBytes, long deadline) {
            super(request);
            this.maxBytes = maxBytes;
            this.deadline = deadline;
        }

        @Override
        public ServletInputStream getInputStream() throws IOException {
            if (stream == null) {
                stream = new CappedStream(super.getInputStream(), maxBytes, deadline);
            }
            return stream;
        }
    }

    private static final class CappedStream extends ServletInputStream {
        private final ServletInputStream in;
        private final long maxBytes;
        private final long deadline;
        private long read;

        CappedStream(ServletInputStream in, long maxBytes, long deadline) {
            this.in = in;
            this.maxBytes = maxBytes;
            this.deadline = deadline;
        }

        @Override
        public int read() throws IOException {
            int b = in.read();
            if (b >= 0) {
                count(1);
            }
            return b;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            int n = in.read(buffer, offset, length);
            if (n > 0) {
                count(n);
            }
            return n;
        }

        private void count(int n) {
            if (System.nanoTime() - deadline > 0 && !in.isFinished()) {
                throw new HttpError(408, ErrorCode.VALIDATION,
                        "request body arrived too slowly; send it within the body timeout");
            }
            read += n;
            if (read > maxBytes) {
                throw new HttpError(413, ErrorCode.VALIDATION,
                        "request body larger than " + maxBytes + " bytes");
            }
        }

        @Override
        public boolean isFinished() {
            return in.isFinished();
        }

        @Override
        public boolean isReady() {
            return in.isReady();
        }

        @Override
        public void setReadListener(ReadListener listener) {
            in.setReadListener(listener);
        }
    }
}
