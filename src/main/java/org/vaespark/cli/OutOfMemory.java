package org.vaespark.cli;

import java.util.regex.Pattern;
import org.vaespark.error.OutOfMemoryException;

/**
 * Names what ran out when a run fails for lack of memory, and the setting to raise: the Java heap, ND4J's off-heap
 * limit ({@code org.bytedeco.javacpp.maxbytes}), JavaCPP's physical-memory cap ({@code maxphysicalbytes}, which
 * counts the whole process), direct buffers, or an executor killed for its memory. It looks through the failure's
 * causes and messages, so an {@link OutOfMemoryError} thrown in a task on an executor is found inside Spark's job
 * failure on the driver. In local mode tasks run in the driver's JVM, so the driver's settings are the ones to
 * raise.
 */
final class OutOfMemory {
  private static final Pattern EXECUTOR_OOM = Pattern.compile(
      "(?s).*ExecutorLostFailure.*(exit(ed)? (with )?code:? ?52\\b|exceeding memory limits|OOMKilled"
          + "|OutOfMemoryError).*");
  private static final String LAUNCHER = "deploy/vae-local.sh";

  private OutOfMemory() {}

  /**
   * The failure as an {@link OutOfMemoryException} if memory ran out anywhere in it, else null. {@code local} is
   * whether tasks ran in the driver's JVM (null: unknown).
   */
  static OutOfMemoryException find(Throwable failure, Boolean local) {
    if (failure instanceof OutOfMemoryException known) {
      return known;
    }
    String error = null;
    StringBuilder all = new StringBuilder();
    boolean inTask = false;
    boolean executorLost = false;
    for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
      String message = String.valueOf(t.getMessage());
      if (message.contains("Job aborted due to stage failure")) {
        inTask = true;
        executorLost |= EXECUTOR_OOM.matcher(message).matches();
      }
      String oom = null;
      if (t instanceof OutOfMemoryError) {
        oom = t.getClass().getName() + ": " + firstLine(message);
      } else if (message.contains("java.lang.OutOfMemoryError")) {
        oom = firstLine(message.substring(message.indexOf("java.lang.OutOfMemoryError")));
      }
      if (oom != null) {
        error = oom; // the deepest: JavaCPP's own reason rather than its wrapper's
        all.append(oom).append('\n');
      }
    }
    if (error == null && !executorLost) {
      return null;
    }
    if (error == null || (executorLost && !Boolean.TRUE.equals(local))) {
      return new OutOfMemoryException(
          "out of memory: an executor was lost for using too much memory (its JVM ran out, or its"
              + " container was killed for exceeding its limit): raise spark.executor.memory and"
              + " spark.executor.memoryOverhead (README, 'Out of memory')",
          failure);
    }
    String where = inTask
        ? (Boolean.TRUE.equals(local) ? "in a task (local mode: in the driver's JVM)" : "in a task")
        : "on the driver";
    boolean executor = inTask && !Boolean.TRUE.equals(local);
    return new OutOfMemoryException(
        "out of memory: " + what(all.toString()) + " ran out " + where + " (" + error + "): raise "
            + setting(all.toString(), executor) + " (README, 'Out of memory')",
        failure);
  }

  /** What ran out, from the error's message. */
  private static String what(String error) {
    if (error.contains("Physical memory usage is too high")) {
      return "JavaCPP's physical-memory cap (maxphysicalbytes, which counts the whole process: heap,"
          + " ND4J's off-heap arrays and cached blocks)";
    }
    if (offHeap(error)) {
      return "ND4J's off-heap memory";
    }
    if (error.contains("Direct buffer memory")) {
      return "the JVM's direct buffer memory";
    }
    if (error.contains("Metaspace")) {
      return "the JVM's metaspace";
    }
    return "the Java heap";
  }

  private static String setting(String error, boolean executor) {
    if (error.contains("Physical memory usage is too high")) {
      return executor
          ? "-Dorg.bytedeco.javacpp.maxphysicalbytes in spark.executor.extraJavaOptions (with"
              + " spark.executor.memoryOverhead to match)"
          : "VAE_OFFHEAP (" + LAUNCHER
              + "; it sets org.bytedeco.javacpp.maxphysicalbytes),"
              + " or -Dorg.bytedeco.javacpp.maxphysicalbytes in spark.driver.extraJavaOptions";
    }
    if (offHeap(error)) {
      return executor
          ? "-Dorg.bytedeco.javacpp.maxbytes in spark.executor.extraJavaOptions (with"
              + " spark.executor.memoryOverhead to match)"
          : "VAE_OFFHEAP (" + LAUNCHER + "; it sets org.bytedeco.javacpp.maxbytes), or"
              + " -Dorg.bytedeco.javacpp.maxbytes in spark.driver.extraJavaOptions";
    }
    if (error.contains("Direct buffer memory")) {
      return executor
          ? "-XX:MaxDirectMemorySize in spark.executor.extraJavaOptions"
          : "-XX:MaxDirectMemorySize in the driver's Java options";
    }
    if (error.contains("Metaspace")) {
      return "-XX:MaxMetaspaceSize";
    }
    return executor
        ? "spark.executor.memory"
        : "VAE_HEAP (" + LAUNCHER + "), or spark-submit --driver-memory";
  }

  private static boolean offHeap(String error) {
    return error.contains("maxBytes")
        || error.contains("Cannot allocate new")
        || error.matches("(?s).*Failed to allocate \\[\\d+\\] bytes.*");
  }

  private static String firstLine(String message) {
    return message.lines().findFirst().orElse("").trim();
  }
}
