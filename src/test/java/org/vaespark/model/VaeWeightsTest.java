package org.vaespark.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

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
  private final Settings settings = SettingsLoader.load(
      null, Map.of("vae.model.encoder-layer-sizes", "[64, 32]", "vae.model.latent-size", "5"));

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

  /** The ELBO terms recomputed in plain double arithmetic from the (separately checked) encoder and decoder. */
  @Test
  void negativeElboMatchesBernoulliLikelihoodAndClosedFormKlComputedByHand() {
    MultiLayerNetwork network = VaeNetworks.create(settings.model(), settings.training());
    VaeWeights weights = VaeWeights.of(network);
    INDArray x = digits(10);
    INDArray eps = weights.noise(10, 1);
    VaeWeights.Encoded q = weights.encode(x);
    double reconstruction = 0;
    double kl = 0;
    for (int i = 0; i < 10; i++) {
      INDArray z = Nd4j.create(DataType.FLOAT, 1, 5);
      for (int j = 0; j < 5; j++) {
        double mean = q.mean().getDouble(i, j);
        double logVar = q.logVar().getDouble(i, j);
        z.putScalar(0, j, mean + Math.exp(logVar / 2) * eps.getDouble(i, j));
        kl += 0.5 * (mean * mean + Math.exp(logVar) - 1 - logVar);
      }
      INDArray p = weights.decode(z);
      for (int k = 0; k < x.columns(); k++) {
        double pixel = x.getDouble(i, k);
        double prob = p.getDouble(0, k);
        reconstruction -= pixel * Math.log(prob) + (1 - pixel) * Math.log(1 - prob);
      }
    }

    VaeWeights.ElboSums sums = weights.negativeElbo(x, eps);

    assertThat(sums.examples()).isEqualTo(10);
    assertThat(sums.reconstruction()).isCloseTo(reconstruction, within(1e-4 * reconstruction));
    assertThat(sums.kl()).isCloseTo(kl, within(1e-4 * kl + 1e-6));
    assertThat(sums.negElboPerExample())
        .isCloseTo((reconstruction + kl) / 10, within(1e-4 * reconstruction));
    assertThat(weights.negativeElbo(x, weights.noise(10, 1)).reconstruction())
        .as("same seed, same figure")
        .isEqualTo(sums.reconstruction());

    // The scorer's version, in its reused work arrays, used by every evaluation on the executors.
    LogLikelihood.Scorer scorer = new LogLikelihood.Scorer(weights);
    for (int repeat = 0; repeat < 2; repeat++) {
      VaeWeights.ElboSums scored = scorer.negativeElbo(x, eps);
      assertThat(scored.examples()).isEqualTo(10);
      assertThat(scored.reconstruction()).isCloseTo(reconstruction, within(1e-4 * reconstruction));
      assertThat(scored.kl()).isCloseTo(kl, within(1e-4 * kl + 1e-6));
    }
  }
}
