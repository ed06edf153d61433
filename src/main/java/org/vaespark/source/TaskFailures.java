package org.vaespark.source;

import java.util.function.Supplier;
import org.vaespark.error.InputFileException;
import org.vaespark.error.VaeException;

/**
 * Bad input found by a task on an executor comes back to the driver inside Spark's job failure: this finds it
 * again, so that the job fails with the same {@link InputFileException} (exit 2, the file named) as a check on the
 * driver would.
 */
public final class TaskFailures {
  private static final String MARKER = InputFileException.class.getName() + ": ";

  private TaskFailures() {}

  /** Runs a Spark action; bad input that a task reported is rethrown as it was thrown there. */
  public static <T> T run(Supplier<T> action) {
    try {
      return action.get();
    } catch (
        Exception
            e) { // SparkException is checked in Java's eyes, though Scala throws it undeclared
      VaeException known = find(e);
      if (known != null) {
        throw known;
      }
      throw e;
    }
  }

  /** As {@link #run(Supplier)}, for an action without a result. */
  public static void run(Runnable action) {
    run(() -> {
      action.run();
      return null;
    });
  }

  /** The {@link VaeException} a task threw, found in {@code failure}'s causes or messages, or null. */
  static VaeException find(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof VaeException known) {
        return known;
      }
      // When Spark could not keep the task's exception object, its message still carries it.
      String message = String.valueOf(t.getMessage());
      int at = message.indexOf(MARKER);
      if (at >= 0) {
        return new InputFileException(
            message.substring(at + MARKER.length()).split("\n", 2)[0].trim(), failure);
      }
    }
    return null;
  }
}
