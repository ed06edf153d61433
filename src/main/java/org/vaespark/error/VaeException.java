package org.vaespark.error;

/**
 * Every failure this tool reports on purpose. Each kind carries its exit code, and its message names the thing,
 * the problem and what to do; the command line prints the message without a stack trace. Anything else that
 * escapes a job is a bug and exits with {@link ExitCode#FAILURE}.
 */
public abstract sealed class VaeException extends RuntimeException
    permits SettingsException,
        InputFileException,
        OutputExistsException,
        StorageException,
        TrainingDivergedException,
        NativeBuildException,
        LockedException,
        OutOfMemoryException {
  private static final long serialVersionUID = 1L;

  VaeException(String message, Throwable cause) {
    super(message, cause);
  }

  /** The exit code the command line ends with when this failure stops a job. */
  public abstract ExitCode exitCode();
}
