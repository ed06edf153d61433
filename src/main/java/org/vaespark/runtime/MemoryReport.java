package org.vaespark.runtime;

import java.util.Locale;
import org.bytedeco.javacpp.Pointer;

/**
 * This JVM's memory in one line: the Java heap (used and committed), the off-heap memory ND4J holds through
 * JavaCPP (the figure {@code org.bytedeco.javacpp.maxbytes} caps), and the resident size of the whole process
 * (what {@code maxphysicalbytes} caps and the operating system sees).
 */
public final class MemoryReport {
  private MemoryReport() {}

  public static String line() {
    Runtime runtime = Runtime.getRuntime();
    long used = runtime.totalMemory() - runtime.freeMemory();
    return String.format(
        Locale.ROOT,
        "heap %d MB used of %d MB committed (max %d MB), ND4J off-heap %d MB (max %d MB), resident %d MB",
        mb(used),
        mb(runtime.totalMemory()),
        mb(runtime.maxMemory()),
        mb(Pointer.totalBytes()),
        mb(Pointer.maxBytes()),
        mb(Pointer.physicalBytes()));
  }

  private static long mb(long bytes) {
    return bytes / (1024 * 1024);
  }
}
