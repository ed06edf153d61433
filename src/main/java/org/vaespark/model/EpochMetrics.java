package org.vaespark.model;

import com.fasterxml.jackson.annotation.JsonIgnore;

/**
 * One line of {@code metrics.jsonl}: negative ELBO per example in nats (reconstruction + KL), on the train set
 * and on the held-out test set, measured after the epoch, plus the epoch's training time and throughput.
 */
public record EpochMetrics(
    int epoch,
    double trainNegElbo,
    double trainReconstruction,
    double trainKl,
    double testNegElbo,
    double testReconstruction,
    double testKl,
    double epochSeconds,
    double examplesPerSecond) {

  @JsonIgnore
  public boolean isFinite() {
    return Double.isFinite(trainNegElbo) && Double.isFinite(testNegElbo);
  }
}
