package org.vaespark.io;

/**
 * An input file or dataset is missing, corrupt or not what this tool expects. The message names the file and
 * the problem.
 */
public final class InputFileException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public InputFileException(String message) {
    super(message);
  }

  public InputFileException(String message, Throwable cause) {
    super(message, cause);
  }
}
