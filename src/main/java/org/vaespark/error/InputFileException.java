package org.vaespark.error;

/** An input file, dataset or model is missing, corrupt or not what this tool expects. The message names the file and the problem. */
public final class InputFileException extends VaeException {
  private static final long serialVersionUID = 1L;

  public InputFileException(String message) {
    super(message, null);
  }

  public InputFileException(String message, Throwable cause) {
    super(message, cause);
  }

  @Override
  public ExitCode exitCode() {
    return ExitCode.BAD_INPUT;
  }
}
