package org.vaespark.evaluate;

import java.util.Arrays;
import java.util.Locale;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vaespark.config.Settings;
import org.vaespark.dataset.Minibatches;
import org.vaespark.dataset.MnistDataset;
import org.vaespark.io.Json;
import org.vaespark.io.Storage;
import org.vaespark.job.JobContext;
import org.vaespark.model.Evaluation;
import org.vaespark.model.LogLikelihood;
import org.vaespark.model.ModelMetadata;
import org.vaespark.model.ModelStore;
import org.vaespark.model.VaeWeights;

/**
 * The evaluation job: reads a published model and dataset and measures, on the executors, the held-out negative
 * ELBO (reconstruction + KL, with the same batches and noise as {@code train}) and the importance-sampled
 * estimate of log p(x) with {@code vae.evaluate.importance-samples} samples per example. Publishes
 * {@code evaluation.json} and {@code evaluation.md} atomically and records the evaluation in the model's
 * {@code metadata.json}.
 */
public final class EvaluateJob {
  public static final String JSON = "evaluation.json";
  public static final String MARKDOWN = "evaluation.md";
  private static final Logger LOG = LoggerFactory.getLogger(EvaluateJob.class);

  private final JobContext context;
  private final Settings settings;
  private final Storage storage;
  private final ModelStore models;

  public EvaluateJob(JobContext context) {
    this.context = context;
    this.settings = context.settings();
    this.storage = context.storage();
    this.models = context.models();
  }

  public record Result(String folder, Evaluation evaluation) {}

  public Result run(boolean overwrite) {
    long t0 = System.nanoTime();
    Path target = new Path(settings.paths().evaluation());
    storage.checkWritable(target, overwrite, "evaluation");
    Path modelFolder = new Path(settings.paths().model());
    MnistDataset dataset = MnistDataset.open(storage, settings.paths().dataset());
    VaeWeights weights = models.loadWeights(modelFolder, dataset);
    ModelMetadata metadata = models.loadMetadata(modelFolder);
    Evaluation evaluation = measure(dataset, weights, metadata.modelVersion(), t0);
    publish(target, evaluation, overwrite);
    models.recordEvaluation(modelFolder, evaluation);
    LOG.info(
        "Model {}: held-out -ELBO {} nats, log p(x) {} nats (importance-sampled, k = {}), {}-NN label accuracy "
            + "{}, {} s",
        metadata.modelVersion(),
        f(evaluation.testNegElbo()),
        f(evaluation.testLogPx()),
        evaluation.importanceSamples(),
        evaluation.knnK(),
        String.format(Locale.ROOT, "%.4f", evaluation.knnAccuracy()),
        f(evaluation.seconds()));
    return new Result(target.toString(), evaluation);
  }

  /** The held-out ELBO and importance-sampled log p(x), computed on the executors. */
  private Evaluation measure(
      MnistDataset dataset, VaeWeights weights, String modelVersion, long startNanos) {
    int k = settings.evaluate().importanceSamples();
    JavaSparkContext sc = context.sparkContext();
    sc.setJobGroup(
        "evaluate", "evaluate: held-out ELBO and importance-sampled log p(x), k = " + k, false);
    JavaRDD<INDArray> test = Minibatches.cached(
        context.spark(), dataset, MnistDataset.TEST, settings.evaluate().batchSize());
    Broadcast<VaeWeights> broadcast = sc.broadcast(weights);
    try {
      VaeWeights.ElboSums elbo = ElboEvaluator.evaluate(
          test, broadcast, ElboEvaluator.heldOutSeed(settings.training().seed()));
      double[] logPx = logPxSum(test, broadcast, k, settings.evaluate().seed());
      return new Evaluation(
          modelVersion,
          elbo.examples(),
          elbo.negElboPerExample(),
          elbo.reconstructionPerExample(),
          elbo.klPerExample(),
          logPx[0] / logPx[1],
          k,
          (System.nanoTime() - startNanos) / 1e9,
          context.now().toString(),
          settings.evaluate().knnK(),
          KnnAccuracy.of(
              context.spark(), dataset, broadcast, settings.evaluate().knnK()));
    } finally {
      broadcast.destroy();
      test.unpersist(false);
      sc.clearJobGroup();
    }
  }

  /** {sum of the per-example estimates, examples} over the batches, computed on the executors. */
  static double[] logPxSum(
      JavaRDD<INDArray> batches, Broadcast<VaeWeights> weights, int k, long seed) {
    return ElboEvaluator.sum(batches, weights, seed, new double[2], new LogPxSum(k), (a, b) ->
        new double[] {a[0] + b[0], a[1] + b[1]});
  }

  /** {sum of the per-example estimates, examples} of a batch; each task's copy keeps one scorer for its batches. */
  private static final class LogPxSum implements ElboEvaluator.BatchMeasure<double[]> {
    private static final long serialVersionUID = 1L;
    private final int k;
    private transient LogLikelihood.Scorer scorer;

    LogPxSum(int k) {
      this.k = k;
    }

    @Override
    public double[] apply(VaeWeights weights, INDArray x, long noiseSeed) {
      if (scorer == null) {
        scorer = new LogLikelihood.Scorer(weights);
      }
      double[] logPx = scorer.estimate(x, k, noiseSeed).logPx();
      return new double[] {Arrays.stream(logPx).sum(), logPx.length};
    }
  }

  private void publish(Path target, Evaluation evaluation, boolean overwrite) {
    storage.publish(target, overwrite, staging -> {
      storage.writeString(new Path(staging, JSON), Json.pretty(evaluation));
      storage.writeString(new Path(staging, MARKDOWN), evaluation.markdown());
    });
  }

  private static String f(double value) {
    return String.format(Locale.ROOT, "%.2f", value);
  }
}
