package org.vaespark.train;

import org.apache.spark.broadcast.Broadcast;
import org.deeplearning4j.spark.api.WorkerConfiguration;
import org.deeplearning4j.spark.api.worker.NetBroadcastTuple;
import org.deeplearning4j.spark.impl.multilayer.SparkDl4jMultiLayer;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingMaster;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingWorker;

/**
 * dl4j-spark's {@link ParameterAveragingTrainingMaster} (splitting, repartitioning, tree aggregation and
 * averaging of parameters and updater state are all upstream's), with workers that can train a VAE-only
 * network: see {@link VaeTrainingWorker}.
 */
public class VaeTrainingMaster extends ParameterAveragingTrainingMaster {
  private static final long serialVersionUID = 1L;

  public VaeTrainingMaster(ParameterAveragingTrainingMaster.Builder builder) {
    super(builder);
  }

  /**
   * Reseeds the generator that splits each epoch's data between averaging rounds, from the training seed and
   * the epoch, so a run resumed from a checkpoint splits later epochs as the uninterrupted run would have.
   */
  public void startEpoch(long seed, int epoch) {
    rng = new java.util.Random(Seeds.derive(seed, epoch));
  }

  @Override
  public ParameterAveragingTrainingWorker getWorkerInstance(SparkDl4jMultiLayer network) {
    NetBroadcastTuple tuple =
        new NetBroadcastTuple(
            network.getNetwork().getLayerWiseConfigurations(),
            network.getNetwork().params(),
            network.getNetwork().getUpdater().getStateViewArray());
    Broadcast<NetBroadcastTuple> broadcast = network.getSparkContext().broadcast(tuple);
    WorkerConfiguration configuration =
        new WorkerConfiguration(
            false, rddDataSetNumExamples, batchSizePerWorker, averagingFrequency, prefetchNumBatches, false);
    return new VaeTrainingWorker(
        broadcast, saveUpdater, configuration, trainingHookList, listeners, getRouterProvider());
  }
}
