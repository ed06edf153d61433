package org.vaespark.retrain;

import java.time.Instant;
import java.util.Optional;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vaespark.config.Settings;
import org.vaespark.evaluate.EvaluateJob;
import org.vaespark.generate.GenerateJob;
import org.vaespark.io.Storage;
import org.vaespark.model.ModelMetadata;
import org.vaespark.model.ModelStore;
import org.vaespark.prepare.PrepareJob;
import org.vaespark.train.ElboEvaluator;
import org.vaespark.train.TrainJob;

/**
 * Scheduled retraining under a storage lock: refresh the dataset if the input changed, train a new model version
 * in its own folder, evaluate it and the current version on the same held-out split, promote it only if it is
 * not worse by more than {@code vae.retrain.tolerance-nats}, publish the promoted version's embeddings as a
 * partition of the shared embeddings table, then move the {@code CURRENT} pointer. A run that was killed leaves
 * its version folder unfinished; the next run finishes that version (training resumes from its checkpoints).
 */
public final class RetrainJob {
  private static final Logger LOG = LoggerFactory.getLogger(RetrainJob.class);

  private final SparkSession spark;
  private final Settings settings;
  private final Storage storage;
  private final VersionStore versions;
  private final ModelStore models;

  public RetrainJob(SparkSession spark, Settings settings) {
    this.spark = spark;
    this.settings = settings;
    this.storage = new Storage(spark.sparkContext().hadoopConfiguration());
    this.versions = new VersionStore(storage, new Path(settings.paths().output()));
    this.models = new ModelStore(storage);
  }

  public record Result(
      String version, VersionStore.Decision decision, boolean datasetRewritten, Optional<VersionStore.Pointer> current) {}

  public Result run() {
    try (StorageLock lock = StorageLock.acquire(storage, versions.lockFile(), settings.retrain().lockExpiry())) {
      LOG.info("Holding the retrain lock {}", lock.file());
      return retrain();
    }
  }

  private Result retrain() {
    PrepareJob.Result data = new PrepareJob(spark, settings).refresh();
    Optional<String> unfinished = versions.unfinished();
    if (unfinished.isPresent() && data.written()) {
      LOG.warn("Version {} was left unfinished on the previous input; the input changed, so it is abandoned", unfinished.get());
      unfinished = Optional.empty();
    }
    String version = unfinished.orElseGet(versions::newVersion);
    unfinished.ifPresent(v -> LOG.info("Finishing version {}, left unfinished by an earlier run", v));
    Path dir = versions.versionDir(version);
    Settings versioned = settings.withVersionPaths(
        new Path(dir, "model").toString(), new Path(dir, "checkpoints").toString(), new Path(dir, "generated").toString(),
        new Path(dir, "evaluation").toString());

    Path model = new Path(versioned.paths().model());
    if (!storage.exists(new Path(model, Storage.SUCCESS))) {
      new TrainJob(spark, versioned).run(false, version);
    }
    ModelMetadata candidate = models.loadMetadata(model);
    VersionStore.Decision decision = decide(version, candidate);
    versions.writeDecision(decision);
    if (!storage.exists(new Path(versioned.paths().generated(), Storage.SUCCESS))) {
      new GenerateJob(spark, versioned).run(false);
    }
    if (!storage.exists(new Path(versioned.paths().evaluation(), Storage.SUCCESS))) {
      new EvaluateJob(spark, versioned).run(false);
    }
    if (decision.promoted()) {
      promote(version, versioned, candidate, data);
    } else {
      LOG.warn("Version {} is not promoted: {}", version, decision.reason());
    }
    versions.markComplete(version);
    return new Result(version, decision, data.written(), versions.current());
  }

  /**
   * The gate. {@code train} measured the candidate's held-out negative ELBO after its last epoch on this dataset's
   * test batches with the held-out noise seed; the current version is evaluated the same way, so both are
   * compared on the same data and noise.
   */
  private VersionStore.Decision decide(String version, ModelMetadata candidate) {
    double score = candidate.finalMetrics().testNegElbo();
    double tolerance = settings.retrain().toleranceNats();
    String now = Instant.now().toString();
    Optional<VersionStore.Pointer> current = versions.current();
    if (current.isEmpty()) {
      return new VersionStore.Decision(version, true, score, null, null, tolerance, "first version", now);
    }
    double currentScore = ElboEvaluator.heldOutNegElbo(spark, settings, models.loadNetwork(new Path(current.get().model())));
    double limit = currentScore + tolerance;
    boolean promoted = score <= limit;
    String reason = String.format(java.util.Locale.ROOT,
        "held-out -ELBO %.3f vs current %s's %.3f on the same data: %s the limit %.3f (tolerance %.3f nats)",
        score, current.get().version(), currentScore, promoted ? "within" : "above", limit, tolerance);
    LOG.info("Version {}: {}", version, reason);
    return new VersionStore.Decision(version, promoted, score, current.get().version(), currentScore, tolerance, reason, now);
  }

  /** Embeddings first, then the pointer: the pointer never names a version whose embeddings are not there. */
  private void promote(String version, Settings versioned, ModelMetadata candidate, PrepareJob.Result data) {
    Path partition = versions.embeddingsPartition(version);
    if (!storage.exists(new Path(partition, Storage.SUCCESS))) {
      Path staging = storage.newStaging(partition);
      try {
        spark.read().parquet(new Path(versioned.paths().generated(), GenerateJob.EMBEDDINGS).toString())
            .drop("model_version") // the partition folder carries it
            .write().mode(org.apache.spark.sql.SaveMode.Overwrite).parquet(staging.toString());
        storage.publish(staging, partition, true);
      } catch (RuntimeException e) {
        storage.discard(staging);
        throw e;
      }
    }
    versions.point(new VersionStore.Pointer(
        version, versioned.paths().model(), partition.toString(), candidate.finalMetrics().testNegElbo(),
        candidate.data().fingerprint(), Instant.now().toString()));
    LOG.info("Promoted version {}: {} now points to it (dataset {}rewritten)", version,
        new Path(versions.root(), VersionStore.POINTER), data.written() ? "" : "not ");
  }
}
