package org.vaespark.evaluate;

import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.broadcast.Broadcast;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.vaespark.dataset.Minibatches;
import org.vaespark.dataset.MnistDataset;
import org.vaespark.job.JobContext;
import org.vaespark.model.VaeWeights;
import org.vaespark.runtime.Devices;

/**
 * Negative ELBO of a model over a distributed set of feature batches, computed on the executors with the
 * weights broadcast once: after every epoch of {@code train}, in {@code evaluate}, and for {@code retrain}'s
 * promotion gate. The reparameterisation noise is seeded per partition and batch, so the same model on the same
 * data gives the same figure wherever it is measured.
 */
public final class ElboEvaluator {
  private ElboEvaluator() {}

  public static VaeWeights.ElboSums evaluate(
      JavaRDD<INDArray> batches, Broadcast<VaeWeights> weights, long seed) {
    List<VaeWeights.ElboSums> perPartition = batches
        .mapPartitionsWithIndex(
            (Integer partition, Iterator<INDArray> it) -> {
              Devices.bindTaskToAssignedGpu();
              VaeWeights w = weights.value();
              VaeWeights.ElboSums sums = VaeWeights.ElboSums.zero();
              long batch = 0;
              while (it.hasNext()) {
                INDArray x = it.next();
                sums = sums.plus(
                    w.negativeElbo(x, w.noise(x.rows(), noiseSeed(seed, partition, batch++))));
              }
              return List.of(sums).iterator();
            },
            true)
        .collect();
    return perPartition.stream().reduce(VaeWeights.ElboSums.zero(), VaeWeights.ElboSums::plus);
  }

  /** The noise seed of one batch: distinct per partition and batch, the same on every run. */
  static long noiseSeed(long seed, int partition, long batch) {
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
    JavaRDD<INDArray> test = Minibatches.cached(
        context.spark(),
        context.settings().paths().dataset(),
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
