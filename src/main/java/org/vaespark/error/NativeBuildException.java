package org.vaespark.error;

/** ND4J's native library cannot be used on this machine as configured. */
public final class NativeBuildException extends VaeException {
  private static final long serialVersionUID = 1L;

  public NativeBuildException(String message) {
    super(message, null);
  }

  public NativeBuildException(String message, Throwable cause) {
    super(message, cause);
  }

  @Override
  public ExitCode exitCode() {
    return ExitCode.NO_BACKEND;
  }
}
