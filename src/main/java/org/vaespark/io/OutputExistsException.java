package org.vaespark.io;

/** A job would replace an existing output without {@code --overwrite}. */
public final class OutputExistsException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public OutputExistsException(String message) {
    super(message);
  }
}
