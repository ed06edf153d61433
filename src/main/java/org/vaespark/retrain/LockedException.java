package org.vaespark.retrain;

/** Another run holds the storage lock: the command line exits with a code a scheduler can retry on. */
public final class LockedException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public LockedException(String message) {
    super(message);
  }
}
