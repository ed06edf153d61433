package org.vaespark.error;

/** Another run holds the storage lock: a scheduler should retry later. */
public final class LockedException extends VaeException {
  private static final long serialVersionUID = 1L;

  public LockedException(String message) {
    super(message, null);
  }

  public LockedException(String message, Throwable cause) {
    super(message, cause);
  }

  @Override
  public ExitCode exitCode() {
    return ExitCode.LOCKED;
  }
}
