package org.vaespark.error;

/** A configuration value or command-line option is missing, unknown, of the wrong type or out of range. The message names the key. */
public final class SettingsException extends VaeException {
  private static final long serialVersionUID = 1L;

  public SettingsException(String message) {
    super(message, null);
  }

  public SettingsException(String message, Throwable cause) {
    super(message, cause);
  }

  @Override
  public ExitCode exitCode() {
    return ExitCode.BAD_INPUT;
  }
}
