package org.vaespark.model;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * One line of {@code metrics.jsonl}: negative ELBO per example in nats (reconstruction + KL), on the train set
 * and on the held-out test set, measured after the epoch, plus the epoch's training time and throughput.
 */
public record EpochMetrics(
    @JsonProperty("epoch") int epoch,
    @JsonProperty("train_neg_elbo") double trainNegElbo,
    @JsonProperty("train_reconstruction") double trainReconstruction,
    @JsonProperty("train_kl") double trainKl,
    @JsonProperty("test_neg_elbo") double testNegElbo,
    @JsonProperty("test_reconstruction") double testReconstruction,
    @JsonProperty("test_kl") double testKl,
    @JsonProperty("epoch_seconds") double epochSeconds,
    @JsonProperty("examples_per_second") double examplesPerSecond) {

  @JsonIgnore
  public boolean isFinite() {
    return Double.isFinite(trainNegElbo) && Double.isFinite(testNegElbo);
  }
}
