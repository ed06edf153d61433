package org.vaespark.retrain;

import java.util.Locale;
import java.util.Optional;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SaveMode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vaespark.config.Settings;
import org.vaespark.evaluate.ElboEvaluator;
import org.vaespark.evaluate.EvaluateJob;
import org.vaespark.generate.GenerateJob;
import org.vaespark.io.Storage;
import org.vaespark.io.StorageLock;
import org.vaespark.job.JobContext;
import org.vaespark.model.ModelMetadata;
import org.vaespark.model.ModelStore;
import org.vaespark.prepare.PrepareJob;
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

  private final JobContext context;
  private final Settings settings;
  private final Storage storage;
  private final VersionStore versions;
  private final ModelStore models;

  public RetrainJob(JobContext context) {
    this.context = context;
    this.settings = context.settings();
    this.storage = context.storage();
    this.versions = new VersionStore(storage, new Path(settings.paths().output()), context.clock());
    this.models = context.models();
  }

  public record Result(
      String version,
      VersionStore.Decision decision,
      boolean datasetRewritten,
      Optional<VersionStore.Pointer> current) {}

  public Result run() {
    StorageLock.Policy policy = new StorageLock.Policy(
        settings.retrain().lockExpiry(),
        "vae.retrain.lock-expiry",
        settings.retrain().schedulerPreventsOverlap(),
        "vae.retrain.scheduler-prevents-overlap");
    try (StorageLock lock = StorageLock.acquire(storage, versions.lockFile(), policy)) {
      LOG.info("Holding the retrain lock {}", lock.file());
      return retrain();
    }
  }

  private Result retrain() {
    PrepareJob.Result data = new PrepareJob(context).refresh();
    Optional<String> unfinished = versions.unfinished();
    if (unfinished.isPresent() && data.written()) {
      LOG.warn(
          "Version {} was left unfinished on the previous input; the input changed, so it is abandoned",
          unfinished.get());
      unfinished = Optional.empty();
    }
    String version = unfinished.orElseGet(versions::newVersion);
    unfinished.ifPresent(
        v -> LOG.info("Finishing version {}, left unfinished by an earlier run", v));
    Path dir = versions.versionDir(version);
    JobContext versioned = context.withSettings(settings.withVersionPaths(
        new Path(dir, "model").toString(),
        new Path(dir, "checkpoints").toString(),
        new Path(dir, "generated").toString(),
        new Path(dir, "evaluation").toString()));

    Path model = new Path(versioned.settings().paths().model());
    if (!storage.isPublished(model)) {
      new TrainJob(versioned).run(false, version);
    }
    ModelMetadata candidate = models.loadMetadata(model);
    VersionStore.Decision decision = decide(version, candidate);
    versions.writeDecision(decision);
    if (!storage.isPublished(new Path(versioned.settings().paths().generated()))) {
      new GenerateJob(versioned).run(false);
    }
    if (!storage.isPublished(new Path(versioned.settings().paths().evaluation()))) {
      new EvaluateJob(versioned).run(false);
    }
    if (decision.promoted()) {
      promote(version, versioned, candidate, data);
    } else {
      LOG.warn("Version {} is not promoted: {}", version, decision.reason());
    }
    versions.markComplete(version);
    return new Result(version, decision, data.written(), versions.current());
  }

  /** Computes the anomaly threshold of a model on the dataset's train split and records it in its metadata. */
  private void recordThreshold(Path model) {
    org.vaespark.dataset.MnistDataset dataset =
        org.vaespark.dataset.MnistDataset.open(storage, settings.paths().dataset());
    org.apache.spark.broadcast.Broadcast<org.vaespark.model.VaeWeights> weights =
        context.sparkContext().broadcast(models.loadWeights(model, dataset));
    try {
      models.recordAnomaly(
          model,
          org.vaespark.inference.AnomalyThreshold.compute(
              dataset.read(context.spark(), org.vaespark.dataset.MnistDataset.TRAIN),
              dataset.manifest().trainExamples(),
              weights,
              settings.score().importanceSamples(),
              settings.score().anomalyQuantile(),
              settings.evaluate().seed(),
              context.now()));
    } finally {
      weights.destroy();
    }
  }

  /**
   * The gate. {@code train} measured the candidate's held-out negative ELBO after its last epoch on this dataset's
   * test batches with the held-out noise seed; the current version is evaluated the same way, so both are
   * compared on the same data and noise.
   */
  private VersionStore.Decision decide(String version, ModelMetadata candidate) {
    double score = candidate.finalMetrics().testNegElbo();
    double tolerance = settings.retrain().toleranceNats();
    String now = context.now().toString();
    Optional<VersionStore.Pointer> current = versions.current();
    if (current.isEmpty()) {
      return new VersionStore.Decision(
          version, true, score, null, null, tolerance, "first version", now);
    }
    double currentScore = ElboEvaluator.heldOutNegElbo(
        context, models.loadNetwork(new Path(current.get().model())));
    double limit = currentScore + tolerance;
    boolean promoted = score <= limit;
    String reason = String.format(
        Locale.ROOT,
        "held-out -ELBO %.3f vs current %s's %.3f on the same data: %s the limit %.3f (tolerance %.3f nats)",
        score,
        current.get().version(),
        currentScore,
        promoted ? "within" : "above",
        limit,
        tolerance);
    LOG.info("Version {}: {}", version, reason);
    return new VersionStore.Decision(
        version, promoted, score, current.get().version(), currentScore, tolerance, reason, now);
  }

  /**
   * Embeddings first, then the pointer: the pointer never names a version whose embeddings are not there. A
   * version trained before anomaly thresholds were recorded gets one now, before the pointer moves.
   */
  private void promote(
      String version, JobContext versioned, ModelMetadata candidate, PrepareJob.Result data) {
    if (candidate.anomaly() == null) {
      recordThreshold(new Path(versioned.settings().paths().model()));
    }
    Path partition = versions.embeddingsPartition(version);
    if (!storage.isPublished(partition)) {
      Path embeddings = new Path(versioned.settings().paths().generated(), GenerateJob.EMBEDDINGS);
      storage.publish(
          partition,
          true,
          staging -> context
              .spark()
              .read()
              .parquet(embeddings.toString())
              .drop("model_version") // the partition folder carries it
              .write()
              .mode(SaveMode.Overwrite)
              .parquet(staging.toString()));
    }
    versions.point(new VersionStore.Pointer(
        version,
        versioned.settings().paths().model(),
        partition.toString(),
        candidate.finalMetrics().testNegElbo(),
        candidate.data().fingerprint(),
        context.now().toString()));
    LOG.info(
        "Promoted version {}: {} now points to it (dataset {}rewritten)",
        version,
        new Path(versions.root(), VersionStore.POINTER),
        data.written() ? "" : "not ");
  }
}
