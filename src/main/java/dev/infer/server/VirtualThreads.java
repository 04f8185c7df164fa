package dev.infer.server;

import java.lang.reflect.Method;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Virtual threads where the running JDK has them (21 and later), platform daemon threads
 * otherwise. The code is compiled for Java 17, so the Java 21 API is reached by reflection once.
 */
public final class VirtualThreads {
    private static final Method OF_VIRTUAL = find();

    private VirtualThreads() {}

    private static Method find() {
        try {
            return Thread.class.getMethod("ofVirtual");
        } catch (NoSuchMethodException e) {
            return null;
        }
    }

    /** Whether this JDK gives us virtual threads. */
    public static boolean available() {
        return OF_VIRTUAL != null;
    }

    /** A factory of named threads: virtual where available, daemon platform threads otherwise. */
    public static ThreadFactory factory(String prefix) {
        if (OF_VIRTUAL != null) {
            try {
                Object builder = OF_VIRTUAL.invoke(null);
                Class<?> ofVirtual = Class.forName("java.lang.Thread$Builder");
                builder = ofVirtual.getMethod("name", String.class, long.class)
                        .invoke(builder, prefix + "-", 0L);
                return (ThreadFactory) ofVirtual.getMethod("factory").invoke(builder);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException("virtual threads present but unusable", e);
            }
        }
        AtomicInteger count = new AtomicInteger();
        return runnable -> {
            Thread t = new Thread(runnable, prefix + "-" + count.getAndIncrement());
            t.setDaemon(true);
            return t;
        };
    }

    /** An unbounded executor with one new thread per task. */
    public static ExecutorService perTaskExecutor(String prefix) {
        ThreadFactory factory = factory(prefix);
        if (OF_VIRTUAL != null) {
            try {
                return (ExecutorService) Executors.class
                        .getMethod("newThreadPerTaskExecutor", ThreadFactory.class)
                        .invoke(null, factory);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException("virtual threads present but unusable", e);
            }
        }
        return Executors.newCachedThreadPool(factory);
    }
}
