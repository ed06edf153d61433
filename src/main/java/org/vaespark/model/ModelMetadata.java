package org.vaespark.model;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;

/**
 * Provenance written next to every model as {@code metadata.json}: enough to audit or reproduce it.
 *
 * @param modelVersion unique id of this model (UTC time of training plus a hash of the model file)
 * @param config the full resolved {@code vae} configuration the model was trained with
 * @param data where the training data came from and its fingerprint
 * @param finalMetrics the last epoch's metrics
 * @param versions library and runtime versions
 * @param gitCommit commit of this tool's build ("unknown" if built outside git)
 * @param evaluation what {@code evaluate} measured, once it has run (null before; absent in older files)
 * @param anomaly the anomaly threshold on {@code log_px}, computed on the train split when the model is trained
 *     (or promoted); null in files written before it existed
 */
public record ModelMetadata(
    String modelVersion,
    String createdAt,
    JsonNode config,
    DataInfo data,
    EpochMetrics finalMetrics,
    List<EpochMetrics> history,
    Map<String, String> versions,
    String gitCommit,
    TrainingInfo training,
    Evaluation evaluation,
    Anomaly anomaly) {

  /** This metadata with an evaluation recorded. */
  public ModelMetadata withEvaluation(Evaluation value) {
    return new ModelMetadata(
        modelVersion,
        createdAt,
        config,
        data,
        finalMetrics,
        history,
        versions,
        gitCommit,
        training,
        value,
        anomaly);
  }

  /** This metadata with an anomaly threshold recorded. */
  public ModelMetadata withAnomaly(Anomaly value) {
    return new ModelMetadata(
        modelVersion,
        createdAt,
        config,
        data,
        finalMetrics,
        history,
        versions,
        gitCommit,
        training,
        evaluation,
        value);
  }

  /**
   * Where the training data came from: {@code rows} x {@code cols} is the image size the model takes (0 in
   * files written before it was recorded: then the configuration's {@code vae.prepare.image-size} says it).
   */
  public record DataInfo(
      String dataset,
      String source,
      String fingerprint,
      long trainExamples,
      long testExamples,
      int rows,
      int cols) {}

  /**
   * The anomaly threshold: images whose {@code log_px} (importance-sampled with {@code importanceSamples}
   * samples) is below {@code logPxThreshold}, the {@code quantile} of the train split's {@code log_px} over its
   * {@code examples} examples, are anomalies.
   */
  public record Anomaly(
      double quantile,
      double logPxThreshold,
      int importanceSamples,
      long seed,
      long examples,
      String computedAt) {}

  /** @param resumedFromEpoch the checkpointed epoch the last run resumed from; 0 when it started afresh */
  public record TrainingInfo(
      int workers, int epochs, double seconds, long parameters, int resumedFromEpoch) {}
}
