package org.vaespark.error;

/** A job would replace an existing output without {@code --overwrite}. */
public final class OutputExistsException extends VaeException {
  private static final long serialVersionUID = 1L;

  public OutputExistsException(String message) {
    super(message, null);
  }

  public OutputExistsException(String message, Throwable cause) {
    super(message, cause);
  }

  @Override
  public ExitCode exitCode() {
    return ExitCode.BAD_INPUT;
  }
}
