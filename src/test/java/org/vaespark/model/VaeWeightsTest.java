package org.vaespark.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.deeplearning4j.nn.layers.variational.VariationalAutoencoder;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.vaespark.config.Settings;
import org.vaespark.config.SettingsLoader;
import org.vaespark.testing.TestData;

/** Our inference code must compute exactly what DL4J's VAE layer computes. */
class VaeWeightsTest {
  private final Settings settings =
      SettingsLoader.load(null, Map.of("vae.model.encoder-layer-sizes", "[64, 32]", "vae.model.latent-size", "5"));

  private static INDArray digits(int n) {
    return TestData.features(n);
  }

  @Test
  void encoderMeanMatchesTheLayersActivations() {
    MultiLayerNetwork network = VaeNetworks.create(settings.model(), settings.training());
    INDArray x = digits(16);
    INDArray dl4jMean = network.getLayer(0).activate(x, false, LayerWorkspaceMgr.noWorkspaces());
    VaeWeights weights = VaeWeights.of(network);
    assertThat(weights.latentSize()).isEqualTo(5);
    assertThat(weights.encode(x).mean().equalsWithEps(dl4jMean, 1e-5)).isTrue();
  }

  @Test
  void decoderMatchesGenerateAtMeanGivenZ() {
    MultiLayerNetwork network = VaeNetworks.create(settings.model(), settings.training());
    INDArray z = Nd4j.randn(3L, new long[] {8, 5}).castTo(DataType.FLOAT);
    INDArray dl4j = ((VariationalAutoencoder) network.getLayer(0)).generateAtMeanGivenZ(z);
    assertThat(VaeWeights.of(network).decode(z).equalsWithEps(dl4j, 1e-5)).isTrue();
  }

  @Test
  void negativeElboIsReconstructionPlusAnalyticKl() {
    MultiLayerNetwork network = VaeNetworks.create(settings.model(), settings.training());
    VaeWeights weights = VaeWeights.of(network);
    INDArray x = digits(10);
    VaeWeights.ElboSums sums = weights.negativeElbo(x, weights.noise(10, 1));
    assertThat(sums.examples()).isEqualTo(10);
    assertThat(sums.kl()).isGreaterThan(0);
    // An untrained decoder outputs about 0.5 everywhere: BCE near 784 * ln 2 = 543 nats per digit.
    assertThat(sums.reconstruction() / 10).isBetween(300.0, 900.0);
    // Same seed, same figure.
    assertThat(weights.negativeElbo(x, weights.noise(10, 1)).reconstruction()).isEqualTo(sums.reconstruction());
  }
}
