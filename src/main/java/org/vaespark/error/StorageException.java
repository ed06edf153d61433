package org.vaespark.error;

/** A path cannot be reached, listed, read or written on its file system (a wrong host or scheme, missing permissions). The message names the path. */
public final class StorageException extends VaeException {
  private static final long serialVersionUID = 1L;

  public StorageException(String message) {
    super(message, null);
  }

  public StorageException(String message, Throwable cause) {
    super(message, cause);
  }

  @Override
  public ExitCode exitCode() {
    return ExitCode.BAD_INPUT;
  }
}
