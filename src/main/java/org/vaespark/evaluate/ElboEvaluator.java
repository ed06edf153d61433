package org.vaespark.evaluate;

import java.io.Serializable;
import java.util.Iterator;
import java.util.List;
import java.util.function.BinaryOperator;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.broadcast.Broadcast;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.vaespark.dataset.Minibatches;
import org.vaespark.dataset.MnistDataset;
import org.vaespark.job.JobContext;
import org.vaespark.model.LogLikelihood;
import org.vaespark.model.VaeWeights;
import org.vaespark.runtime.Devices;

/**
 * Measures of a model over a distributed set of feature batches, computed on the executors with the weights
 * broadcast once: the negative ELBO after every epoch of {@code train}, in {@code evaluate} and for
 * {@code retrain}'s promotion gate, and the importance-sampled log p(x) in {@code evaluate}. The noise is seeded
 * per partition and batch, so the same model on the same data gives the same figure wherever it is measured.
 */
public final class ElboEvaluator {
  private ElboEvaluator() {}

  /** A measure of one batch, given the noise seed of that batch. */
  @FunctionalInterface
  public interface BatchMeasure<T> extends Serializable {
    T apply(VaeWeights weights, INDArray x, long noiseSeed);
  }

  /** How two measures add up; shipped to the executors with the measure. */
  @FunctionalInterface
  interface Plus<T> extends BinaryOperator<T>, Serializable {}

  public static VaeWeights.ElboSums evaluate(
      JavaRDD<INDArray> batches, Broadcast<VaeWeights> weights, long seed) {
    return sum(
        batches,
        weights,
        seed,
        VaeWeights.ElboSums.zero(),
        new NegativeElbo(),
        VaeWeights.ElboSums::plus);
  }

  /** The negative ELBO of a batch; each task's copy keeps one scorer (work arrays) for its batches. */
  private static final class NegativeElbo implements BatchMeasure<VaeWeights.ElboSums> {
    private static final long serialVersionUID = 1L;
    private transient LogLikelihood.Scorer scorer;

    @Override
    public VaeWeights.ElboSums apply(VaeWeights weights, INDArray x, long noiseSeed) {
      if (scorer == null) {
        scorer = new LogLikelihood.Scorer(weights);
      }
      INDArray eps = weights.noise(x.rows(), noiseSeed);
      VaeWeights.ElboSums sums = scorer.negativeElbo(x, eps);
      eps.close();
      return sums;
    }
  }

  /**
   * {@code measure} of every batch on the executors, summed with {@code plus} from {@code zero}. The batches must
   * be fresh arrays each time they are read (computed, or cached serialized): each is closed once measured.
   */
  static <T extends Serializable> T sum(
      JavaRDD<INDArray> batches,
      Broadcast<VaeWeights> weights,
      long seed,
      T zero,
      BatchMeasure<T> measure,
      Plus<T> plus) {
    List<T> perPartition = batches
        .mapPartitionsWithIndex(
            (Integer partition, Iterator<INDArray> it) -> {
              Devices.prepareTask();
              VaeWeights w = weights.value();
              T total = zero;
              for (long batch = 0; it.hasNext(); batch++) {
                INDArray x = it.next();
                total = plus.apply(total, measure.apply(w, x, noiseSeed(seed, partition, batch)));
                // Each batch is a fresh array (computed, or deserialized from a serialized cache):
                // free it now,
                // not when the garbage collector gets to it.
                x.close();
              }
              return List.of(total).iterator();
            },
            true)
        .collect();
    return perPartition.stream().reduce(zero, plus);
  }

  /** The noise seed of one batch: distinct per partition and batch, the same on every run. */
  private static long noiseSeed(long seed, int partition, long batch) {
    return seed + 1_000_003L * partition + batch;
  }

  /** The noise seed of held-out evaluations, so that every evaluation of a model on a split agrees. */
  public static long heldOutSeed(long trainingSeed) {
    return trainingSeed + 1;
  }

  /**
   * Held-out negative ELBO per example (nats) of a network, on the same test batches with the same noise as
   * {@code train} measures it after every epoch, so that models can be compared fairly.
   */
  public static double heldOutNegElbo(JobContext context, MultiLayerNetwork network) {
    MnistDataset dataset =
        MnistDataset.open(context.storage(), context.settings().paths().dataset());
    JavaRDD<INDArray> test = Minibatches.cached(
        context.spark(),
        dataset,
        MnistDataset.TEST,
        context.settings().training().evalBatchSize());
    Broadcast<VaeWeights> weights = context.sparkContext().broadcast(VaeWeights.of(network));
    try {
      return evaluate(test, weights, heldOutSeed(context.settings().training().seed()))
          .negElboPerExample();
    } finally {
      weights.destroy();
      test.unpersist(false);
    }
  }
}
