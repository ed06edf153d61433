package org.vaespark.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.vaespark.config.Settings;
import org.vaespark.testing.TestData;

/** The importance-sampled log p(x) against known answers. */
class LogLikelihoodTest {
  @Test
  void repeatKeepsEachExamplesSamplesTogether() {
    INDArray rows = Nd4j.create(new float[] {1, 2}, new long[] {2, 1}, DataType.FLOAT);
    assertThat(rows.repeat(0, 3).reshape(-1).toFloatVector()).containsExactly(1, 1, 1, 2, 2, 2);
  }

  /**
   * With q(z|x) = p(z) = N(0, I) (zero encoder heads) and a decoder that ignores z (zero weights from z), every
   * importance weight p(x|z) p(z) / q(z|x) equals p(x), so the estimate is exact for any k: the Bernoulli
   * log-likelihood of the decoder's constant output, computed here independently in double precision.
   */
  @ParameterizedTest
  @ValueSource(doubles = {0, 95})
  void aDecoderThatIgnoresZGivesTheExactLogLikelihoodForAnyK(double outputShift) {
    MultiLayerConfiguration conf = VaeNetworks.configuration(
        new Settings.ModelSettings(List.of(16), List.of(12), 3, "tanh"), 1e-3, 3);
    conf.setDataType(DataType.DOUBLE);
    conf.getConf(0).setDataType(DataType.DOUBLE);
    MultiLayerNetwork network = new MultiLayerNetwork(conf);
    network.init();
    Map<String, INDArray> p = network.getLayer(0).paramTable();
    for (String key : List.of("pZXMeanW", "pZXMeanb", "pZXLogStd2W", "pZXLogStd2b", "d0W")) {
      p.get(key).assign(0);
    }
    p.get("d0b").assign(Nd4j.randn(DataType.DOUBLE, p.get("d0b").shape()));
    // A shift beyond 80 puts logits where log(1 + exp(l)) overflows in single precision: the stable
    // path.
    p.get("pXZb").assign(Nd4j.randn(DataType.DOUBLE, p.get("pXZb").shape()).addi(outputShift));
    VaeWeights weights = VaeWeights.of(network);
    INDArray x = TestData.features(0, 5).castTo(DataType.DOUBLE);

    double[] h = Arrays.stream(p.get("d0b").toDoubleVector()).map(Math::tanh).toArray();
    INDArray w = p.get("pXZW");
    double[] bias = p.get("pXZb").toDoubleVector();
    double[] exact = new double[5];
    for (int i = 0; i < 5; i++) {
      for (int j = 0; j < 784; j++) {
        double logit = bias[j];
        for (int u = 0; u < h.length; u++) {
          logit += h[u] * w.getDouble(u, j);
        }
        double xi = x.getDouble(i, j);
        exact[i] += xi * logit - Math.log1p(Math.exp(logit)); // x log s + (1 - x) log(1 - s)
      }
    }

    for (int k : new int[] {1, 7, 250}) {
      double[] estimate = LogLikelihood.estimate(weights, x, k, 11).logPx();
      for (int i = 0; i < 5; i++) {
        assertThat(estimate[i]).as("k = %d, example %d", k, i).isCloseTo(exact[i], within(1e-6));
      }
    }
  }

  /** On real digits with a trained model: the estimate is at least the ELBO and rises with k (on average). */
  @Test
  void onTrainedModelTheEstimateIsAtLeastTheElboAndRisesWithK() {
    MultiLayerNetwork network = VaeNetworks.create(
        new Settings.ModelSettings(List.of(200), List.of(200), 10, "relu"),
        new Settings.TrainingSettings(
            1,
            64,
            1,
            1,
            3e-3,
            5,
            "fused",
            1,
            0,
            100,
            0,
            new Settings.CheckpointSettings(0, 1, false)));
    FusedVaeStep step = new FusedVaeStep(
        network.getLayerWiseConfigurations(),
        network.params(),
        network.getUpdater().getStateViewArray());
    for (int epoch = 0; epoch < 4; epoch++) {
      for (int b = 0; b < 3000 / 100; b++) {
        step.fit(TestData.features(b * 100, 100), epoch * 30 + b, epoch);
      }
    }
    VaeWeights weights = VaeWeights.of(network);
    INDArray x = TestData.features(5000, 300);
    VaeWeights.ElboSums elbo = weights.negativeElbo(x, weights.noise(x.rows(), 3));
    double meanElbo = -(elbo.reconstruction() + elbo.kl()) / x.rows();

    double k1 = mean(LogLikelihood.estimate(weights, x, 1, 21).logPx());
    double k10 = mean(LogLikelihood.estimate(weights, x, 10, 22).logPx());
    double k100 = mean(LogLikelihood.estimate(weights, x, 100, 23).logPx());

    assertThat(k1).as("k = 1 is a one-sample ELBO").isCloseTo(meanElbo, within(1.0));
    assertThat(k10).isGreaterThan(meanElbo + 1.0);
    assertThat(k100).isGreaterThan(k10);
    assertThat(k100 - k10).isLessThan(k10 - k1); // diminishing returns, as the bound tightens
  }

  private static double mean(double[] values) {
    return Arrays.stream(values).average().orElseThrow();
  }
}
