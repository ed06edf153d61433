package org.vaespark.train;

import org.apache.hadoop.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vaespark.config.Settings;
import org.vaespark.dataset.MnistDataset;
import org.vaespark.io.Storage;
import org.vaespark.job.JobContext;
import org.vaespark.model.EpochMetrics;
import org.vaespark.model.ModelStore;

/**
 * The training job: trains the VAE on the published dataset's train split with {@link Training} (the one
 * implementation of training, which {@code VaeEstimator.fit} runs too), resuming from the newest checkpoint when
 * there is one, and publishes the model with its metadata and metrics.
 */
public final class TrainJob {
  private static final Logger LOG = LoggerFactory.getLogger(TrainJob.class);

  private final JobContext context;
  private final Settings settings;
  private final Storage storage;

  public TrainJob(JobContext context) {
    this.context = context;
    this.settings = context.settings();
    this.storage = context.storage();
  }

  public record Result(String modelPath, String modelVersion, EpochMetrics finalMetrics) {}

  public Result run(boolean overwrite) {
    return run(overwrite, null);
  }

  /** Trains and publishes the model under the given version id (null: the UTC time and a hash of the model). */
  public Result run(boolean overwrite, String version) {
    Path target = new Path(settings.paths().model());
    storage.checkWritable(target, overwrite, "model");
    MnistDataset dataset = MnistDataset.open(storage, settings.paths().dataset());
    Training training = new Training(context);
    Training.Trained trained = training.run(TrainingData.of(context.spark(), dataset), version);
    ModelStore models = context.models();
    storage.publish(target, overwrite, staging -> {
      models.writeModel(staging, trained.modelZip());
      models.writeMetrics(staging, trained.history());
      models.writeMetadata(staging, trained.metadata());
    });
    LOG.info("Model {} published at {}", trained.metadata().modelVersion(), target);
    training.finished();
    return new Result(
        target.toString(), trained.metadata().modelVersion(), trained.metadata().finalMetrics());
  }
}
