package org.vaespark.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.layers.variational.VariationalAutoencoder;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.AdamUpdater;
import org.nd4j.linalg.learning.config.Adam;
import org.vaespark.config.Settings;
import org.vaespark.testing.TestData;

/** The fused step against DL4J's own VAE layer, in double precision, on the same batch and the same noise. */
class FusedVaeStepTest {
  private static MultiLayerNetwork network(Settings.ModelSettings model, DataType type) {
    MultiLayerConfiguration conf = VaeNetworks.configuration(model, 1e-3, 11);
    conf.setDataType(type);
    conf.getConf(0).setDataType(type);
    MultiLayerNetwork network = new MultiLayerNetwork(conf);
    network.init();
    network.initGradientsView();
    return network;
  }

  @ParameterizedTest
  @CsvSource({"relu, 64, 5", "tanh, 32, 3", "relu, 1, 2"})
  void lossAndGradientsMatchDl4jsLayer(String activation, int batch, int latent) {
    Settings.ModelSettings model =
        new Settings.ModelSettings(List.of(48, 24), List.of(24, 48), latent, activation);
    MultiLayerNetwork network = network(model, DataType.DOUBLE);
    // Random parameters away from the initialisation, so no gradient is trivially zero.
    network.params().addi(Nd4j.randn(DataType.DOUBLE, network.params().shape()).muli(0.05));
    INDArray x = TestData.features(100, batch).castTo(DataType.DOUBLE);

    Layer layer = network.getLayer(0);
    layer.setInput(x, LayerWorkspaceMgr.noWorkspaces());
    Nd4j.getRandom().setSeed(1234);
    layer.computeGradientAndScore(LayerWorkspaceMgr.noWorkspaces());
    INDArray dl4jGradient = layer.gradient().gradient().dup();
    double dl4jScore = layer.score();

    INDArray params = network.params().dup();
    FusedVaeStep step = new FusedVaeStep(
        network.getLayerWiseConfigurations(),
        params,
        Nd4j.zeros(DataType.DOUBLE, 1, 2 * params.length()));
    Nd4j.getRandom().setSeed(1234);
    INDArray eps = Nd4j.randn(DataType.DOUBLE, new long[] {batch, latent});
    double loss = step.computeGradient(x, eps);

    assertThat(relativeError(loss, dl4jScore))
        .as("loss %s vs DL4J %s", loss, dl4jScore)
        .isLessThan(1e-4);
    // DL4J's layer returns the gradient summed over the minibatch; its updater divides by the batch
    // size.
    INDArray ours = step.gradient().mul(batch);
    double error = ours.sub(dl4jGradient).norm2Number().doubleValue()
        / dl4jGradient.norm2Number().doubleValue();
    assertThat(error).as("relative gradient error").isLessThan(1e-4);
    assertThat(dl4jGradient.norm2Number().doubleValue()).isPositive();
  }

  /**
   * A float model's step runs Adam on the heap: the same parameters and the same state, in ND4J's layout (first
   * moments, then second), as ND4J's own Adam op applied to the same gradient.
   */
  @Test
  void theHeapAdamOfAFloatStepMatchesNd4jsAdamOverTheSameStateLayout() {
    Settings.ModelSettings model = new Settings.ModelSettings(List.of(48), List.of(48), 4, "relu");
    MultiLayerNetwork network = network(model, DataType.FLOAT);
    long n = network.numParams();
    INDArray params = network.params().dup();
    // A state away from zero, with different moments, so a swapped layout would show.
    INDArray state = Nd4j.concat(
        1,
        Nd4j.randn(DataType.FLOAT, 1, n).muli(0.01),
        Nd4j.rand(DataType.FLOAT, 1, n).muli(0.001));
    INDArray x = TestData.features(0, 16);
    MultiLayerConfiguration conf = network.getLayerWiseConfigurations();

    FusedVaeStep step = new FusedVaeStep(conf, params.dup(), state.dup());
    Nd4j.getRandom().setSeed(7);
    step.fit(x, 5, 0);
    step.flush();

    FusedVaeStep reference = new FusedVaeStep(conf, params.dup(), state.dup());
    INDArray eps = Nd4j.create(DataType.FLOAT, 16, 4);
    Nd4j.getRandom().setSeed(7);
    Nd4j.randn(eps);
    reference.computeGradient(x, eps);
    INDArray gradient = reference.gradient().dup();
    INDArray referenceState = state.dup();
    AdamUpdater adam =
        new AdamUpdater((Adam) ((VariationalAutoencoder) conf.getConf(0).getLayer()).getIUpdater());
    adam.setStateViewArray(referenceState, params.shape(), 'c', false);
    adam.applyUpdater(gradient, 5, 0);
    INDArray referenceParams = params.sub(gradient);

    assertThat(step.params().sub(params).norm2Number().doubleValue())
        .as("the step moved")
        .isPositive();
    assertThat(relativeError(step.params(), referenceParams)).isLessThan(1e-5);
    assertThat(relativeError(step.updaterState(), referenceState)).isLessThan(1e-5);
  }

  private static double relativeError(INDArray ours, INDArray expected) {
    return ours.sub(expected).norm2Number().doubleValue()
        / expected.norm2Number().doubleValue();
  }

  private static double relativeError(double a, double b) {
    return Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b));
  }
}
