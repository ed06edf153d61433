package org.vaespark.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
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

  private static double relativeError(double a, double b) {
    return Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b));
  }
}
