package org.vaespark.train;

import org.apache.hadoop.fs.Path;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vaespark.config.Settings;
import org.vaespark.dataset.MnistDataset;
import org.vaespark.error.SettingsException;
import org.vaespark.io.Storage;
import org.vaespark.job.JobContext;
import org.vaespark.model.EpochMetrics;
import org.vaespark.model.ModelMetadata;
import org.vaespark.model.ModelStore;
import org.vaespark.runtime.BackendReport;

/**
 * The training job: trains the VAE with parameter averaging on the executors, resuming from the newest
 * checkpoint when there is one, and publishes the model with its metadata and metrics. The parts: {@link Resume}
 * (where to start, checkpoints), {@link EpochLoop} (epochs and their evaluation), {@link Divergence} (NaN
 * policy), {@link Provenance} (metadata.json).
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
    MnistDataset.Manifest manifest = dataset.manifest();
    requireBatchFitsData(manifest.trainExamples());
    BackendReport.log(context.sparkContext());
    Resume resume = new Resume(context, manifest);
    Resume.Start start = resume.start();
    int workers = settings.training().workers() > 0
        ? settings.training().workers()
        : context.sparkContext().defaultParallelism();
    EpochLoop.Trained trained = new EpochLoop(context, dataset).run(start, workers, resume);
    Result result = publish(target, overwrite, version, start, manifest, trained, workers);
    resume.finished();
    return result;
  }

  private void requireBatchFitsData(long trainExamples) {
    int batch = settings.training().batchSizePerWorker();
    if (batch > trainExamples) {
      throw new SettingsException("vae.training.batch-size-per-worker = " + batch
          + " is larger than the " + trainExamples + " training examples: lower it");
    }
  }

  private Result publish(
      Path target,
      boolean overwrite,
      String givenVersion,
      Resume.Start start,
      MnistDataset.Manifest manifest,
      EpochLoop.Trained trained,
      int workers) {
    MultiLayerNetwork network = start.network();
    byte[] modelZip = ModelStore.serialize(network);
    Provenance provenance = new Provenance(context);
    String version = givenVersion != null ? givenVersion : provenance.version(modelZip);
    ModelMetadata metadata =
        provenance.metadata(version, network, manifest, trained, workers, start.epoch());
    ModelStore models = context.models();
    storage.publish(target, overwrite, staging -> {
      models.writeModel(staging, modelZip);
      models.writeMetrics(staging, trained.history());
      models.writeMetadata(staging, metadata);
    });
    LOG.info("Model {} published at {}", version, target);
    return new Result(target.toString(), version, metadata.finalMetrics());
  }
}
