package org.vaespark.config;

/** A configuration value is missing, unknown, of the wrong type or out of range. The message names the key. */
public final class SettingsException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public SettingsException(String message) {
    super(message);
  }

  public SettingsException(String message, Throwable cause) {
    super(message, cause);
  }
}
