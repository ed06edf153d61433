package org.vaespark.train;

import java.util.List;
import org.apache.spark.broadcast.Broadcast;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.vaespark.config.Settings;
import org.vaespark.error.SettingsException;
import org.vaespark.inference.AnomalyThreshold;
import org.vaespark.job.JobContext;
import org.vaespark.model.EpochMetrics;
import org.vaespark.model.ModelMetadata;
import org.vaespark.model.ModelStore;
import org.vaespark.model.VaeWeights;
import org.vaespark.runtime.BackendReport;

/**
 * The one implementation of training, which the {@code train} job and {@code VaeEstimator.fit} both run: from
 * {@link TrainingData} (a published dataset, or a DataFrame's rows) to a trained network with its provenance
 * ({@code metadata.json}: version, configuration, data, metrics, build) and anomaly threshold. The parts:
 * {@link Resume} (where to start, checkpoints), {@link EpochLoop} (epochs with parameter averaging and their
 * evaluation), {@link Divergence} (NaN policy), {@link Provenance}. Publishing is the caller's.
 */
public final class Training {
  private final JobContext context;
  private final Settings settings;
  private Resume resume;

  public Training(JobContext context) {
    this.context = context;
    this.settings = context.settings();
  }

  /** A trained model: the network, its serialised file, its metadata and every epoch's metrics. */
  public record Trained(
      MultiLayerNetwork network,
      byte[] modelZip,
      ModelMetadata metadata,
      List<EpochMetrics> history) {}

  /**
   * Trains on {@code data} (resuming from a compatible checkpoint when the settings say so) and computes the
   * anomaly threshold on its train rows; {@code version} null names the model by the time and a hash of it.
   */
  public Trained run(TrainingData data, String version) {
    requireBatchFitsData(data.trainExamples());
    BackendReport.log(context.sparkContext());
    resume = new Resume(context, data);
    Resume.Start start = resume.start();
    int workers = settings.training().workers() > 0
        ? settings.training().workers()
        : context.sparkContext().defaultParallelism();
    EpochLoop.Trained trained = new EpochLoop(context, data).run(start, workers, resume);
    MultiLayerNetwork network = start.network();
    byte[] modelZip = ModelStore.serialize(network);
    Provenance provenance = new Provenance(context);
    String named = version != null ? version : provenance.version(modelZip);
    ModelMetadata metadata = provenance
        .metadata(named, network, data, trained, workers, start.epoch())
        .withAnomaly(threshold(network, data));
    return new Trained(network, modelZip, metadata, trained.history());
  }

  /** After the model is published: its checkpoints are no longer needed. */
  public void finished() {
    if (resume != null) {
      resume.finished();
    }
  }

  private ModelMetadata.Anomaly threshold(MultiLayerNetwork network, TrainingData data) {
    context
        .sparkContext()
        .setJobGroup("anomaly-threshold", "train: log_px of the train split, its quantile", false);
    Broadcast<VaeWeights> weights = context.sparkContext().broadcast(VaeWeights.of(network));
    try {
      return AnomalyThreshold.compute(
          data.train(),
          data.trainExamples(),
          weights,
          settings.score().importanceSamples(),
          settings.score().anomalyQuantile(),
          settings.evaluate().seed(),
          context.now());
    } finally {
      weights.destroy();
      context.sparkContext().clearJobGroup();
    }
  }

  private void requireBatchFitsData(long trainExamples) {
    int batch = settings.training().batchSizePerWorker();
    if (batch > trainExamples) {
      throw new SettingsException("vae.training.batch-size-per-worker = " + batch
          + " is larger than the " + trainExamples + " training examples: lower it");
    }
  }
}
