package org.vaespark.runtime;

/** ND4J's native library cannot be used on this machine as configured; the CLI exits with code 4. */
public final class NativeBuildException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public NativeBuildException(String message) {
    super(message);
  }
}
