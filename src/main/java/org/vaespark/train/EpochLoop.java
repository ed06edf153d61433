package org.vaespark.train;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vaespark.config.Settings;
import org.vaespark.dataset.Minibatches;
import org.vaespark.error.TrainingDivergedException;
import org.vaespark.evaluate.ElboEvaluator;
import org.vaespark.job.JobContext;
import org.vaespark.model.EpochMetrics;
import org.vaespark.model.VaeWeights;
import org.vaespark.runtime.MemoryReport;

/**
 * The epoch loop: each epoch trains with parameter averaging ({@link AveragingTrainer}), then measures the train
 * and held-out negative ELBO on the executors, checks for divergence and hands the epoch to {@link Resume} for
 * its checkpoint. Every epoch runs under its own Spark job group, so the Spark UI shows which epoch a stage is.
 */
final class EpochLoop {
  private static final Logger LOG = LoggerFactory.getLogger(EpochLoop.class);

  private final JobContext context;
  private final Settings.TrainingSettings training;
  private final JavaSparkContext sc;
  private final TrainingData data;
  private final long trainExamples;

  EpochLoop(JobContext context, TrainingData data) {
    this.context = context;
    this.training = context.settings().training();
    this.sc = context.sparkContext();
    this.data = data;
    this.trainExamples = data.trainExamples();
  }

  /** The network after every epoch from {@code start} on, with the metrics of all epochs and their seconds. */
  record Trained(List<EpochMetrics> history, double seconds) {}

  Trained run(Resume.Start start, int workers, Resume resume) {
    MultiLayerNetwork network = start.network();
    List<EpochMetrics> history = new ArrayList<>(start.history());
    double seconds = start.seconds();
    JavaRDD<INDArray> testBatches = data.hasHeldOut()
        ? Minibatches.cached(
            data.heldOut(), "held-out", data.shape().pixels(), training.evalBatchSize())
        : null;
    try (AveragingTrainer trainer =
        AveragingTrainer.of(context.spark(), data, training, network, workers)) {
      logPlan(trainer, network);
      Evaluation evaluation = new Evaluation(
          network, trainer.evaluationBatches(training.evalBatchSize()), testBatches, resume);
      if (history.size() < start.epoch()) {
        // The checkpoint was written after the epoch's training and the run stopped in its
        // evaluation.
        double trained =
            seconds - history.stream().mapToDouble(EpochMetrics::epochSeconds).sum();
        evaluation.add(history, start.epoch(), trained, seconds);
      }
      for (int epoch = start.epoch() + 1; epoch <= training.epochs(); epoch++) {
        double trained = train(trainer, network, epoch);
        seconds += trained;
        resume.afterTraining(network, epoch, history, seconds);
        evaluation.add(history, epoch, trained, seconds);
      }
    } catch (TrainingDivergedException e) {
      throw Divergence.withResumeHint(e, resume);
    } finally {
      sc.clearJobGroup();
      if (testBatches != null) {
        testBatches.unpersist(false);
      }
    }
    return new Trained(history, seconds);
  }

  /** Trains one epoch under its own job group; returns its training seconds. */
  private double train(AveragingTrainer trainer, MultiLayerNetwork network, int epoch) {
    LOG.info("Starting epoch {} of {}", epoch, training.epochs());
    sc.setJobGroup(
        "train-epoch-" + epoch, "train: epoch " + epoch + " of " + training.epochs(), false);
    long t0 = System.nanoTime();
    network.getLayerWiseConfigurations().setEpochCount(epoch - 1);
    AveragingTrainer.EpochTimes times = Divergence.fit(trainer, network, epoch);
    LOG.info(
        "Epoch {} rounds: {} x {} workers, {} s: steps {} s, round overhead {} s, driver averaging {} s",
        epoch,
        times.rounds(),
        trainer.workers(),
        f(times.seconds()),
        f(times.stepSeconds()),
        f(times.overheadSeconds()),
        f(times.averagingSeconds()));
    return (System.nanoTime() - t0) / 1e9;
  }

  /** The per-epoch evaluation: the train and held-out negative ELBO, recorded in the history and checkpoint. */
  private final class Evaluation {
    private final MultiLayerNetwork network;
    private final JavaRDD<INDArray> trainBatches;
    private final JavaRDD<INDArray> testBatches;
    private final Resume resume;

    Evaluation(
        MultiLayerNetwork network,
        JavaRDD<INDArray> trainBatches,
        JavaRDD<INDArray> testBatches,
        Resume resume) {
      this.network = network;
      this.trainBatches = trainBatches;
      this.testBatches = testBatches;
      this.resume = resume;
    }

    /** Evaluates epoch {@code epoch} (trained in {@code epochSeconds}) and adds it to the history and checkpoint. */
    void add(List<EpochMetrics> history, int epoch, double epochSeconds, double seconds) {
      sc.setJobGroup("eval-epoch-" + epoch, "train: evaluate ELBO after epoch " + epoch, false);
      Broadcast<VaeWeights> weights = sc.broadcast(VaeWeights.of(network));
      VaeWeights.ElboSums train = ElboEvaluator.evaluate(trainBatches, weights, training.seed());
      // Without held-out rows (a DataFrame given to VaeEstimator without them) the held-out figures
      // are NaN.
      VaeWeights.ElboSums test = testBatches == null
          ? VaeWeights.ElboSums.zero()
          : ElboEvaluator.evaluate(
              testBatches, weights, ElboEvaluator.heldOutSeed(training.seed()));
      weights.destroy();
      EpochMetrics metrics = metrics(epoch, train, test, epochSeconds);
      log(metrics);
      LOG.info("Epoch {} memory on the driver: {}", epoch, MemoryReport.line());
      boolean heldOut = testBatches != null;
      if (!Divergence.finite(metrics, heldOut)) {
        resume.discard(epoch);
      }
      Divergence.check(metrics, heldOut);
      history.add(metrics);
      resume.afterEvaluation(network, epoch, history, seconds);
    }
  }

  private EpochMetrics metrics(
      int epoch, VaeWeights.ElboSums train, VaeWeights.ElboSums test, double seconds) {
    return new EpochMetrics(
        epoch,
        train.negElboPerExample(),
        train.reconstructionPerExample(),
        train.klPerExample(),
        test.negElboPerExample(),
        test.reconstructionPerExample(),
        test.klPerExample(),
        seconds,
        trainExamples / seconds);
  }

  private void logPlan(AveragingTrainer trainer, MultiLayerNetwork network) {
    LOG.info(
        "Training VAE {} with {} parameters on {} examples: {} workers x {} native threads, {} step, batch {} "
            + "per worker, averaging every {} batches ({} rounds per epoch), outer momentum {}",
        context.settings().model(),
        network.numParams(),
        trainExamples,
        trainer.workers(),
        trainer.plan().threads,
        training.step(),
        training.batchSizePerWorker(),
        training.averagingFrequency(),
        trainer.roundsPerEpoch(),
        training.outerMomentum());
  }

  private void log(EpochMetrics m) {
    LOG.info(
        "Epoch {} of {}: train -ELBO {} (rec {}, KL {}), held-out -ELBO {} (rec {}, KL {}) nats/example, {} s, "
            + "{} examples/s",
        m.epoch(),
        training.epochs(),
        f(m.trainNegElbo()),
        f(m.trainReconstruction()),
        f(m.trainKl()),
        f(m.testNegElbo()),
        f(m.testReconstruction()),
        f(m.testKl()),
        f(m.epochSeconds()),
        Math.round(m.examplesPerSecond()));
  }

  static String f(double value) {
    return String.format(Locale.ROOT, "%.2f", value);
  }
}
