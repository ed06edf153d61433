package org.vaespark.train;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.SparkSession;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vaespark.config.Settings;
import org.vaespark.io.Json;
import org.vaespark.io.MnistDataset;
import org.vaespark.io.Storage;
import org.vaespark.model.BuildInfo;
import org.vaespark.model.EpochMetrics;
import org.vaespark.model.ModelMetadata;
import org.vaespark.model.ModelStore;
import org.vaespark.model.VaeNetworks;
import org.vaespark.model.VaeWeights;

/**
 * The training job: reads the train split into one cached block per worker and trains the VAE with parameter
 * averaging on the executors ({@link AveragingTrainer}), measures the train and held-out negative ELBO after
 * every epoch, and publishes the model with its metadata and metrics.
 */
public final class TrainJob {
  private static final Logger LOG = LoggerFactory.getLogger(TrainJob.class);
  private static final DateTimeFormatter VERSION_TIME =
      DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

  private final SparkSession spark;
  private final Settings settings;
  private final Storage storage;
  private final ModelStore models;

  public TrainJob(SparkSession spark, Settings settings) {
    this.spark = spark;
    this.settings = settings;
    this.storage = new Storage(spark.sparkContext().hadoopConfiguration());
    this.models = new ModelStore(storage);
  }

  public record Result(String modelPath, String modelVersion, EpochMetrics finalMetrics) {}

  public Result run(boolean overwrite) {
    return run(overwrite, null);
  }

  /** Trains and publishes the model under the given version id (null: the UTC time and a hash of the model). */
  public Result run(boolean overwrite, String version) {
    Path target = new Path(settings.paths().model());
    storage.checkWritable(target, overwrite, "model");
    MnistDataset.Manifest manifest = MnistDataset.readManifest(storage, settings.paths().dataset());
    requireBatchFitsData(manifest.trainExamples());
    JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    BackendReport.log(sc);
    Checkpoints checkpoints =
        new Checkpoints(storage, new Path(settings.paths().checkpoints()), settings.training().checkpoint().keep());
    Start start = start(checkpoints, manifest);
    int workers = settings.training().workers() > 0 ? settings.training().workers() : sc.defaultParallelism();
    Trained trained = train(sc, workers, start, checkpoints, manifest);
    Result result = publish(
        target, overwrite, version, start.network(), manifest, trained.history(), workers, trained.seconds(), start.epoch());
    checkpoints.clear();
    return result;
  }

  private void requireBatchFitsData(long trainExamples) {
    int batch = settings.training().batchSizePerWorker();
    if (batch > trainExamples) {
      throw new org.vaespark.config.SettingsException(
          "vae.training.batch-size-per-worker = " + batch + " is larger than the " + trainExamples
              + " training examples: lower it");
    }
  }

  private record Trained(List<EpochMetrics> history, double seconds) {}

  /** The epochs after {@code start}, each followed by its evaluation and (at the interval) a checkpoint. */
  private Trained train(
      JavaSparkContext sc, int workers, Start start, Checkpoints checkpoints, MnistDataset.Manifest manifest) {
    Settings.TrainingSettings training = settings.training();
    MultiLayerNetwork network = start.network();
    List<EpochMetrics> history = new ArrayList<>(start.history());
    double seconds = start.seconds();
    JavaRDD<INDArray> testBatches = batches(MnistDataset.TEST, training.evalBatchSize());
    try (AveragingTrainer trainer = AveragingTrainer.of(spark, settings, network.getLayerWiseConfigurations(), workers)) {
      JavaRDD<INDArray> trainBatches = trainer.evaluationBatches(training.evalBatchSize());
      LOG.info(
          "Training VAE {} with {} parameters on {} examples: {} workers x {} native threads, {} step, batch {} per "
              + "worker, averaging every {} batches ({} rounds per epoch), outer momentum {}",
          settings.model(), network.numParams(), manifest.trainExamples(), workers, trainer.plan().threads,
          training.step(), training.batchSizePerWorker(), training.averagingFrequency(), trainer.roundsPerEpoch(),
          training.outerMomentum());
      for (int epoch = start.epoch() + 1; epoch <= training.epochs(); epoch++) {
        long t0 = System.nanoTime();
        history.add(runEpoch(sc, trainer, network, trainBatches, testBatches, epoch, manifest.trainExamples()));
        seconds += (System.nanoTime() - t0) / 1e9;
        checkpoint(checkpoints, network, epoch, history, seconds, manifest);
      }
    } catch (TrainingDivergedException e) {
      throw new TrainingDivergedException(e.getMessage() + lastGood(checkpoints));
    } finally {
      sc.clearJobGroup();
      testBatches.unpersist(false);
    }
    return new Trained(history, seconds);
  }

  /** Where training starts: the newest complete checkpoint when resuming is on and one exists, else epoch 0. */
  private record Start(MultiLayerNetwork network, int epoch, List<EpochMetrics> history, double seconds) {}

  private Start start(Checkpoints checkpoints, MnistDataset.Manifest manifest) {
    Settings.TrainingSettings training = settings.training();
    if (!training.checkpoint().resume()) {
      checkpoints.clear();
    }
    java.util.Optional<Checkpoints.Checkpoint> latest =
        training.checkpoint().resume() ? checkpoints.latest() : java.util.Optional.empty();
    if (latest.isEmpty()) {
      return new Start(VaeNetworks.create(settings.model(), training), 0, List.of(), 0);
    }
    Checkpoints.Checkpoint checkpoint = latest.get();
    TrainingState state = checkpoint.state();
    requireCompatible(checkpoint, manifest);
    MultiLayerNetwork network = checkpoint.network();
    double checkpointRate = network.getLearningRate(0);
    if (checkpointRate != training.learningRate()) {
      LOG.info("Learning rate changed since the checkpoint: {} -> {}", checkpointRate, training.learningRate());
      network.setLearningRate(training.learningRate());
    }
    LOG.info(
        "Resuming from checkpoint {}: epoch {} of {} done, iteration {}, held-out -ELBO {}",
        checkpoint.folder(), state.epoch(), training.epochs(), state.iterations(),
        f(state.history().get(state.history().size() - 1).testNegElbo()));
    return new Start(network, state.epoch(), state.history(), state.trainingSeconds());
  }

  private void requireCompatible(Checkpoints.Checkpoint checkpoint, MnistDataset.Manifest manifest) {
    TrainingState state = checkpoint.state();
    String restart = ": set vae.training.checkpoint.resume = false to start over, or delete " + checkpoint.folder().getParent();
    if (!state.datasetFingerprint().equals(manifest.fingerprint())) {
      throw new org.vaespark.config.SettingsException(
          "checkpoint " + checkpoint.folder() + " was trained on data with fingerprint " + state.datasetFingerprint()
              + ", but the dataset at " + settings.paths().dataset() + " has fingerprint " + manifest.fingerprint() + restart);
    }
    if (!state.model().equals(settings.model()) || state.seed() != settings.training().seed()) {
      throw new org.vaespark.config.SettingsException(
          "checkpoint " + checkpoint.folder() + " has model " + state.model() + " and seed " + state.seed()
              + ", but vae.model is " + settings.model() + " and vae.training.seed is " + settings.training().seed() + restart);
    }
  }

  private void checkpoint(
      Checkpoints checkpoints, MultiLayerNetwork network, int epoch, List<EpochMetrics> history, double seconds,
      MnistDataset.Manifest manifest) {
    int interval = settings.training().checkpoint().interval();
    if (interval == 0 || epoch % interval != 0) {
      return;
    }
    TrainingState state =
        new TrainingState(
            epoch, network.getLayerWiseConfigurations().getIterationCount(), settings.training().seed(),
            List.copyOf(history), seconds, manifest.fingerprint(), settings.model(), Instant.now().toString());
    Path written = checkpoints.write(network, state);
    LOG.info("Checkpoint of epoch {} written to {}", epoch, written);
  }

  private static String lastGood(Checkpoints checkpoints) {
    List<Path> complete = checkpoints.complete();
    if (complete.isEmpty()) {
      return "; no checkpoint was written yet";
    }
    return "; the last good checkpoint, " + complete.get(complete.size() - 1)
        + ", is kept, and training resumes from it when run again";
  }

  private EpochMetrics runEpoch(
      JavaSparkContext sc,
      AveragingTrainer trainer,
      MultiLayerNetwork network,
      JavaRDD<INDArray> trainBatches,
      JavaRDD<INDArray> testBatches,
      int epoch,
      long trainExamples) {
    int epochs = settings.training().epochs();
    LOG.info("Starting epoch {} of {}", epoch, epochs);
    sc.setJobGroup("train-epoch-" + epoch, "train: epoch " + epoch + " of " + epochs, false);
    long t0 = System.nanoTime();
    network.getLayerWiseConfigurations().setEpochCount(epoch - 1);
    AveragingTrainer.EpochTimes times = fit(trainer, network, epoch);
    LOG.info("Epoch {} rounds: {} x {} workers, {} s: steps {} s, round overhead {} s, driver averaging {} s",
        epoch, times.rounds(), trainer.workers(), f(times.seconds()), f(times.stepSeconds()),
        f(times.overheadSeconds()), f(times.averagingSeconds()));
    double epochSeconds = (System.nanoTime() - t0) / 1e9;

    sc.setJobGroup("eval-epoch-" + epoch, "train: evaluate ELBO after epoch " + epoch, false);
    Broadcast<VaeWeights> weights = sc.broadcast(VaeWeights.of(network));
    long seed = settings.training().seed();
    VaeWeights.ElboSums train = ElboEvaluator.evaluate(trainBatches, weights, seed);
    VaeWeights.ElboSums test = ElboEvaluator.evaluate(testBatches, weights, ElboEvaluator.heldOutSeed(seed));
    weights.destroy();
    EpochMetrics metrics = metrics(epoch, train, test, epochSeconds, trainExamples / epochSeconds);
    LOG.info(
        "Epoch {} of {}: train -ELBO {} (rec {}, KL {}), held-out -ELBO {} (rec {}, KL {}) nats/example, {} s, {} examples/s",
        epoch, epochs, f(metrics.trainNegElbo()), f(metrics.trainReconstruction()), f(metrics.trainKl()),
        f(metrics.testNegElbo()), f(metrics.testReconstruction()), f(metrics.testKl()), f(epochSeconds),
        Math.round(metrics.examplesPerSecond()));
    if (!metrics.isFinite()) {
      throw new TrainingDivergedException(
          "training diverged in epoch " + epoch + ": the negative ELBO is " + metrics.trainNegElbo()
              + " (train) / " + metrics.testNegElbo() + " (held-out); lower vae.training.learning-rate");
    }
    return metrics;
  }

  /** Fits one epoch; a divergence detected on an executor comes back as a {@link TrainingDivergedException}. */
  private static AveragingTrainer.EpochTimes fit(AveragingTrainer trainer, MultiLayerNetwork network, int epoch) {
    try {
      return trainer.fitEpoch(network, epoch);
    } catch (Exception e) { // SparkException is checked in Java's eyes; rethrown as is below
      String marker = TrainingDivergedException.class.getName() + ": ";
      for (Throwable t = e; t != null; t = t.getCause()) {
        String message = String.valueOf(t.getMessage());
        int at = message.indexOf(marker);
        if (t instanceof TrainingDivergedException || at >= 0) {
          String detail = at >= 0 ? message.substring(at + marker.length()).split("\n", 2)[0] : message;
          throw new TrainingDivergedException(
              "training diverged in epoch " + epoch + ": " + detail
                  + "; nothing was published; lower vae.training.learning-rate");
        }
      }
      throw e;
    }
  }

  private static EpochMetrics metrics(
      int epoch, VaeWeights.ElboSums train, VaeWeights.ElboSums test, double seconds, double throughput) {
    double nTrain = train.examples();
    double nTest = test.examples();
    return new EpochMetrics(
        epoch,
        (train.reconstruction() + train.kl()) / nTrain,
        train.reconstruction() / nTrain,
        train.kl() / nTrain,
        (test.reconstruction() + test.kl()) / nTest,
        test.reconstruction() / nTest,
        test.kl() / nTest,
        seconds,
        throughput);
  }

  private JavaRDD<INDArray> batches(String split, int batchSize) {
    return ElboEvaluator.batches(spark, settings.paths().dataset(), split, batchSize);
  }

  private Result publish(
      Path target,
      boolean overwrite,
      String givenVersion,
      MultiLayerNetwork network,
      MnistDataset.Manifest manifest,
      List<EpochMetrics> history,
      int workers,
      double seconds,
      int resumedFromEpoch) {
    byte[] modelZip = ModelStore.serialize(network);
    String version = givenVersion != null ? givenVersion : modelVersion(modelZip);
    EpochMetrics last = history.get(history.size() - 1);
    ModelMetadata metadata =
        new ModelMetadata(
            version,
            Instant.now().toString(),
            configJson(),
            new ModelMetadata.DataInfo(
                settings.paths().dataset(), manifest.source(), manifest.fingerprint(),
                manifest.trainExamples(), manifest.testExamples()),
            last,
            history,
            BuildInfo.versions(spark.version()),
            BuildInfo.gitCommit(),
            new ModelMetadata.TrainingInfo(workers, history.size(), seconds, network.numParams(), resumedFromEpoch),
            null);
    Path staging = storage.newStaging(target);
    try {
      models.writeModel(staging, modelZip);
      models.writeMetrics(staging, history);
      models.writeMetadata(staging, metadata);
      storage.publish(staging, target, overwrite);
    } catch (RuntimeException e) {
      storage.discard(staging);
      throw e;
    }
    LOG.info("Model {} published at {}", version, target);
    return new Result(target.toString(), version, last);
  }

  private JsonNode configJson() {
    try {
      return Json.MAPPER.readTree(settings.toJson());
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException("cannot render the resolved configuration", e);
    }
  }

  private static String modelVersion(byte[] modelZip) {
    try {
      byte[] hash = java.security.MessageDigest.getInstance("SHA-256").digest(modelZip);
      return VERSION_TIME.format(Instant.now()) + "-" + HexFormat.of().formatHex(hash, 0, 4);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String f(double value) {
    return String.format(java.util.Locale.ROOT, "%.2f", value);
  }
}
