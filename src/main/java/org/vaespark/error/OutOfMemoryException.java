package org.vaespark.error;

/**
 * A JVM of the run (the driver, or an executor) ran out of memory: the message names what ran out (the Java heap,
 * ND4J's off-heap limit or physical-memory cap, an executor's container) and the setting to raise.
 */
public final class OutOfMemoryException extends VaeException {
  private static final long serialVersionUID = 1L;

  public OutOfMemoryException(String message) {
    super(message, null);
  }

  public OutOfMemoryException(String message, Throwable cause) {
    super(message, cause);
  }

  @Override
  public ExitCode exitCode() {
    return ExitCode.OUT_OF_MEMORY;
  }
}
