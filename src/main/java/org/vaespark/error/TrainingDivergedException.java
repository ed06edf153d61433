package org.vaespark.error;

/** The loss became NaN or infinite; nothing is published. */
public final class TrainingDivergedException extends VaeException {
  private static final long serialVersionUID = 1L;

  public TrainingDivergedException(String message) {
    super(message, null);
  }

  public TrainingDivergedException(String message, Throwable cause) {
    super(message, cause);
  }

  @Override
  public ExitCode exitCode() {
    return ExitCode.DIVERGED;
  }
}
