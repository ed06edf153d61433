package org.vaespark.train;

/** The loss became NaN or infinite; nothing is published. */
public final class TrainingDivergedException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public TrainingDivergedException(String message) {
    super(message);
  }
}
