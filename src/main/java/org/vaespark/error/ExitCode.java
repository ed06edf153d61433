package org.vaespark.error;

/**
 * The exit codes of the command line, the one list that scripts and schedulers act on (README, "Exit codes").
 * Only {@code cli.ExitCodes} turns a failure into one of them.
 */
public enum ExitCode {
  SUCCESS(0, "done"),
  FAILURE(1, "an unexpected failure: the log has the stack trace"),
  BAD_INPUT(2, "bad input: configuration, paths, data, a model, or an output that already exists"),
  DIVERGED(3, "training diverged (NaN or infinite loss); nothing was published"),
  NO_BACKEND(4, "ND4J's native backend cannot run on the driver or an executor"),
  LOCKED(5, "another retrain holds the lock on the output: try again later"),
  OUT_OF_MEMORY(
      6,
      "a JVM ran out of memory (the Java heap, ND4J's off-heap or physical-memory cap, or an executor's"
          + " container): the message names what ran out and the setting to raise");

  private final int code;
  private final String meaning;

  ExitCode(int code, String meaning) {
    this.code = code;
    this.meaning = meaning;
  }

  public int code() {
    return code;
  }

  public String meaning() {
    return meaning;
  }
}
