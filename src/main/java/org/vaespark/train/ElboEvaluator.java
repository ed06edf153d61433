package org.vaespark.train;

import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.broadcast.Broadcast;
import org.nd4j.linalg.api.ndarray.INDArray;
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
}
