package org.vaespark.train;

import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.vaespark.error.TrainingDivergedException;
import org.vaespark.model.EpochMetrics;

/**
 * The divergence policy: a loss that becomes NaN or infinite, on an executor during a round or in the epoch's
 * evaluation, stops training with {@link TrainingDivergedException} (exit 3). Nothing is published, and the last
 * good checkpoint is kept to resume from with a lower learning rate.
 */
final class Divergence {
  private static final String MARKER = TrainingDivergedException.class.getName() + ": ";

  private Divergence() {}

  /** Fits one epoch; a divergence detected on an executor comes back as a {@link TrainingDivergedException}. */
  static AveragingTrainer.EpochTimes fit(
      AveragingTrainer trainer, MultiLayerNetwork network, int epoch) {
    try {
      return trainer.fitEpoch(network, epoch);
    } catch (Exception e) {
      // A SparkException (checked, though Scala throws it undeclared) wraps the executor's failure.
      String detail = executorDetail(e);
      if (detail == null) {
        throw e;
      }
      throw new TrainingDivergedException("training diverged in epoch " + epoch + ": " + detail
          + "; nothing was published; lower vae.training.learning-rate");
    }
  }

  /** Whether the epoch's measured loss is finite (the train figure only when there are no held-out rows). */
  static boolean finite(EpochMetrics metrics, boolean heldOut) {
    return heldOut ? metrics.isFinite() : Double.isFinite(metrics.trainNegElbo());
  }

  /** Fails if the epoch's measured loss is not finite. */
  static void check(EpochMetrics metrics, boolean heldOut) {
    if (!finite(metrics, heldOut)) {
      throw new TrainingDivergedException(
          "training diverged in epoch " + metrics.epoch() + ": the negative ELBO is "
              + metrics.trainNegElbo() + " (train) / " + metrics.testNegElbo()
              + " (held-out); lower vae.training.learning-rate");
    }
  }

  /** The same failure, with what the run leaves to resume from. */
  static TrainingDivergedException withResumeHint(TrainingDivergedException e, Resume resume) {
    return new TrainingDivergedException(e.getMessage() + "; " + resume.lastGood());
  }

  /** The executor's divergence message in a failure's cause chain, or null if the failure is something else. */
  private static String executorDetail(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      String message = String.valueOf(t.getMessage());
      int at = message.indexOf(MARKER);
      if (t instanceof TrainingDivergedException) {
        return message;
      }
      if (at >= 0) {
        return message.substring(at + MARKER.length()).split("\n", 2)[0];
      }
    }
    return null;
  }
}
