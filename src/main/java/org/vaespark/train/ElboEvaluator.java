package org.vaespark.train;

import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.vaespark.config.Settings;
import org.vaespark.io.MnistDataset;
import org.vaespark.model.VaeWeights;

/**
 * Negative ELBO of a model over a distributed set of feature batches, computed on the executors with the
 * weights broadcast once. The reparameterisation noise is seeded per partition and batch, so the same model on
 * the same cached data gives the same figure.
 */
public final class ElboEvaluator {
  private ElboEvaluator() {}

  public static VaeWeights.ElboSums evaluate(
      JavaRDD<INDArray> batches, Broadcast<VaeWeights> weights, long seed) {
    List<VaeWeights.ElboSums> perPartition =
        batches
            .mapPartitionsWithIndex(
                (Integer partition, Iterator<INDArray> it) -> {
                  org.vaespark.model.Devices.bindTaskToAssignedGpu();
                  VaeWeights w = weights.value();
                  VaeWeights.ElboSums sums = VaeWeights.ElboSums.zero();
                  long batch = 0;
                  while (it.hasNext()) {
                    INDArray x = it.next();
                    long noiseSeed = seed + 1_000_003L * partition + batch++;
                    sums = sums.plus(w.negativeElbo(x, w.noise(x.rows(), noiseSeed)));
                  }
                  return List.of(sums).iterator();
                },
                true)
            .collect();
    return perPartition.stream().reduce(VaeWeights.ElboSums.zero(), VaeWeights.ElboSums::plus);
  }

  /** The noise seed of held-out evaluations, so that every evaluation of a model on a split agrees. */
  public static long heldOutSeed(long trainingSeed) {
    return trainingSeed + 1;
  }

  /** A split of the dataset as cached minibatches ([n, 784] float matrices) on the executors. */
  public static JavaRDD<INDArray> batches(SparkSession spark, String dataset, String split, int batchSize) {
    JavaRDD<INDArray> batches =
        MnistDataset.pixels(MnistDataset.read(spark, dataset, split))
            .mapPartitions(pixels -> MnistDataset.featureBatches(pixels, batchSize).iterator());
    return batches.setName(split + " minibatches").persist(StorageLevel.MEMORY_AND_DISK_SER());
  }

  /**
   * Held-out negative ELBO per example (nats) of a network, on the same test batches with the same noise as
   * {@code train} measures it after every epoch, so that models can be compared fairly.
   */
  public static double heldOutNegElbo(SparkSession spark, Settings settings, MultiLayerNetwork network) {
    JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    JavaRDD<INDArray> test = batches(spark, settings.paths().dataset(), MnistDataset.TEST, settings.training().evalBatchSize());
    Broadcast<VaeWeights> weights = sc.broadcast(VaeWeights.of(network));
    try {
      VaeWeights.ElboSums sums = evaluate(test, weights, heldOutSeed(settings.training().seed()));
      return (sums.reconstruction() + sums.kl()) / sums.examples();
    } finally {
      weights.destroy();
      test.unpersist(false);
    }
  }
}
