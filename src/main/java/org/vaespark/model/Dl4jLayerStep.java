package org.vaespark.model;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.updater.LayerUpdater;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.deeplearning4j.optimize.Solver;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The training step through DL4J's own {@code VariationalAutoencoder} layer ({@code vae.training.step = dl4j}),
 * kept so the fused step can be compared with it. {@code MultiLayerNetwork.fit} throws for a network without an
 * output layer (deeplearning4j issue 6656), and {@code pretrainLayer} would start a fresh updater on every call;
 * so the layer is driven by a {@link Solver} whose {@link LayerUpdater} works on the network updater's state.
 */
public final class Dl4jLayerStep implements TrainingStep {
  private final MultiLayerNetwork network;
  private final Layer vae;
  private final Solver solver;

  /** A step over {@code params} (used in place) starting from a copy of {@code updaterState}. */
  public Dl4jLayerStep(MultiLayerConfiguration conf, INDArray params, INDArray updaterState) {
    network = new MultiLayerNetwork(conf.clone());
    network.init(params, false);
    INDArray state = network.getUpdater().getStateViewArray();
    if (state == null || state.length() != updaterState.length()) {
      throw new IllegalArgumentException("updater state has " + updaterState.length()
          + " values, the network " + (state == null ? "none" : String.valueOf(state.length())));
    }
    state.assign(updaterState);
    vae = network.getLayer(0);
    LayerUpdater updater = new LayerUpdater(vae, state);
    solver = new Solver.Builder().model(vae).configure(vae.conf()).build();
    solver.getOptimizer().setUpdater(updater);
  }

  @Override
  public double fit(INDArray x, int iteration, int epoch) {
    // Adam's bias correction reads the layer configuration's counts.
    vae.conf().setIterationCount(iteration);
    vae.conf().setEpochCount(epoch);
    LayerWorkspaceMgr workspaces = LayerWorkspaceMgr.noWorkspaces();
    vae.setInput(x, workspaces);
    solver.optimize(workspaces);
    return vae.score();
  }

  @Override
  public INDArray params() {
    return network.params();
  }

  @Override
  public INDArray updaterState() {
    return network.getUpdater().getStateViewArray();
  }
}
