package org.vaespark.model;

import java.util.List;
import java.util.Locale;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.variational.BernoulliReconstructionDistribution;
import org.deeplearning4j.nn.conf.layers.variational.VariationalAutoencoder;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.learning.config.Adam;
import org.vaespark.config.Settings;
import org.vaespark.dataset.Images;

/**
 * Builds the VAE as a one-layer DL4J network: DL4J's {@link VariationalAutoencoder} layer holds the encoder to
 * the mean and log-variance of q(z|x), the reparameterised sample, the decoder and a Bernoulli (binary
 * cross-entropy) reconstruction distribution with a sigmoid output; its loss is the negative ELBO with the
 * analytic KL term.
 */
public final class VaeNetworks {
  private VaeNetworks() {}

  /** The network for MNIST-sized input (28 x 28 = 784 pixels). */
  public static MultiLayerConfiguration configuration(
      Settings.ModelSettings model, double learningRate, long seed) {
    return configuration(model, learningRate, seed, Images.PIXELS);
  }

  /** The network for images of {@code inputSize} pixels (the dataset's rows x cols). */
  public static MultiLayerConfiguration configuration(
      Settings.ModelSettings model, double learningRate, long seed, int inputSize) {
    VariationalAutoencoder vae = new VariationalAutoencoder.Builder()
        .activation(activation(model.activation()))
        .encoderLayerSizes(toArray(model.encoderLayerSizes()))
        .decoderLayerSizes(toArray(model.decoderLayerSizes()))
        .pzxActivationFunction(Activation.IDENTITY)
        .reconstructionDistribution(new BernoulliReconstructionDistribution(Activation.SIGMOID))
        .numSamples(1)
        .nIn(inputSize)
        .nOut(model.latentSize())
        .build();
    return new NeuralNetConfiguration.Builder()
        .seed(seed)
        .dataType(DataType.FLOAT)
        .updater(new Adam(learningRate))
        .weightInit(WeightInit.XAVIER)
        .list()
        .layer(vae)
        .build();
  }

  /** A new network for MNIST-sized input (28 x 28 = 784 pixels). */
  public static MultiLayerNetwork create(
      Settings.ModelSettings model, Settings.TrainingSettings training) {
    return create(model, training, Images.PIXELS);
  }

  /** A new network for images of {@code inputSize} pixels (the dataset's rows x cols). */
  public static MultiLayerNetwork create(
      Settings.ModelSettings model, Settings.TrainingSettings training, int inputSize) {
    MultiLayerNetwork network = new MultiLayerNetwork(
        configuration(model, training.learningRate(), training.seed(), inputSize));
    network.init();
    return network;
  }

  /** The VAE layer's configuration, or a clear error if the network is not one this tool built. */
  public static VariationalAutoencoder layerConf(MultiLayerNetwork network) {
    if (network.getnLayers() != 1
        || !(network.getLayerWiseConfigurations().getConf(0).getLayer()
            instanceof VariationalAutoencoder vae)) {
      throw new IllegalArgumentException(
          "model is not a single-layer DL4J VariationalAutoencoder network (found "
              + network.getnLayers() + " layers)");
    }
    return vae;
  }

  static Activation activation(String name) {
    return Activation.valueOf(name.toUpperCase(Locale.ROOT));
  }

  private static int[] toArray(List<Integer> sizes) {
    return sizes.stream().mapToInt(Integer::intValue).toArray();
  }
}
