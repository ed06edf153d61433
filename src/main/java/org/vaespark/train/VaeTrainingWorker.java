package org.vaespark.train;

import java.util.Collection;
import org.apache.spark.TaskContext;
import org.apache.spark.broadcast.Broadcast;
import org.deeplearning4j.core.storage.StatsStorageRouterProvider;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.updater.LayerUpdater;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.deeplearning4j.optimize.Solver;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.deeplearning4j.spark.api.TrainingHook;
import org.deeplearning4j.spark.api.WorkerConfiguration;
import org.deeplearning4j.spark.api.worker.NetBroadcastTuple;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingResult;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingWorker;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.DataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A parameter-averaging worker that trains a VAE-only network.
 *
 * <p>dl4j-spark's worker calls {@code MultiLayerNetwork.fit}, which throws for a network without an output
 * layer (deeplearning4j issue 6656). A VAE is trained by its layer's unsupervised objective, as
 * {@code MultiLayerNetwork.pretrainLayer} does; but {@code pretrainLayer} would use a fresh layer updater in
 * every round and so reset Adam's moments at each averaging. This worker instead drives the layer with a
 * {@link Solver} whose {@link LayerUpdater} works directly on the network updater's state array (for a
 * one-layer network both have the same layout), and aligns the layer's iteration count with the network's.
 * So the updater state that the master averages and broadcasts is the state that training really used.
 */
public class VaeTrainingWorker extends ParameterAveragingTrainingWorker {
  private static final long serialVersionUID = 1L;

  private transient Solver solver;
  private transient Layer vae;

  public VaeTrainingWorker(
      Broadcast<NetBroadcastTuple> broadcast,
      boolean saveUpdater,
      WorkerConfiguration configuration,
      Collection<TrainingHook> trainingHooks,
      Collection<TrainingListener> listeners,
      StatsStorageRouterProvider routerProvider) {
    super(broadcast, saveUpdater, configuration, trainingHooks, listeners, routerProvider);
  }

  @Override
  public MultiLayerNetwork getInitialModel() {
    org.vaespark.model.Devices.bindTaskToAssignedGpu();
    MultiLayerNetwork network = super.getInitialModel();
    vae = network.getLayer(0);
    // Adam's bias correction reads the layer configuration's iteration count (BaseOptimizer.getIterationCount),
    // which upstream never advances on the driver; the network-level count is the one the master advances.
    MultiLayerConfiguration netConf = network.getLayerWiseConfigurations();
    vae.conf().setIterationCount(netConf.getIterationCount());
    vae.conf().setEpochCount(netConf.getEpochCount());
    // The reparameterisation noise of this round: a function of the seed, the round and the partition only, so
    // a retried task and a run resumed from a checkpoint draw exactly the same noise.
    Nd4j.getRandom().setSeed(
        Seeds.derive(netConf.getConf(0).getSeed(), netConf.getIterationCount(), TaskContext.getPartitionId()));
    INDArray updaterState = network.getUpdater().getStateViewArray();
    LayerUpdater updater = new LayerUpdater(vae, updaterState);
    if (updaterState != null && updater.getStateViewArray() != updaterState) {
      throw new IllegalStateException("layer updater does not share the network updater's state");
    }
    solver = new Solver.Builder().model(vae).configure(vae.conf()).build();
    solver.getOptimizer().setUpdater(updater);
    return network;
  }

  @Override
  public ParameterAveragingTrainingResult processMinibatch(
      DataSet dataSet, MultiLayerNetwork network, boolean isLast) {
    LayerWorkspaceMgr workspaces = LayerWorkspaceMgr.noWorkspaces();
    vae.setInput(dataSet.getFeatures(), workspaces);
    solver.optimize(workspaces);
    Nd4j.getExecutioner().commit();
    double score = vae.score();
    if (!Double.isFinite(score)) {
      // Deterministic for the same data and weights, so Spark's task retries fail the same way and the job stops.
      throw new TrainingDivergedException(
          "the VAE loss became " + score + " at iteration " + vae.conf().getIterationCount() + " (epoch "
              + (vae.conf().getEpochCount() + 1) + ")");
    }
    if (!isLast) {
      return null;
    }
    network.setScore(vae.score());
    return getFinalResult(network);
  }
}
