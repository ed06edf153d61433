package org.vaespark.model;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.conf.layers.variational.BernoulliReconstructionDistribution;
import org.deeplearning4j.nn.conf.layers.variational.VariationalAutoencoder;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.params.VariationalAutoencoderParamInitializer;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationSigmoid;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * A read-only copy of a trained VAE's weights with the forward passes that inference needs: encode to the mean
 * and log-variance of q(z|x), decode z to Bernoulli logits or pixel probabilities, and the negative ELBO
 * split into its reconstruction and KL terms. Serializable, so Spark broadcasts it to executors.
 *
 * <p>It reads the same parameters and activation functions as DL4J's VAE layer, so its outputs equal the
 * layer's ({@code VaeWeightsTest} checks this against {@code activate} and {@code generateAtMeanGivenZ}).
 */
public final class VaeWeights implements Serializable {
  private static final long serialVersionUID = 1L;

  private final List<Dense> encoder;
  private final Dense zMean;
  private final Dense zLogVar;
  private final List<Dense> decoder;
  private final Dense output;
  private final IActivation hiddenActivation;
  private final IActivation pzxActivation;

  /** One affine map. A plain class, not a record: Kryo 4 (Spark's serializer) cannot handle records. */
  private static final class Dense implements Serializable {
    private static final long serialVersionUID = 1L;
    private final INDArray weights;
    private final INDArray bias;

    Dense(INDArray weights, INDArray bias) {
      this.weights = weights;
      this.bias = bias;
    }

    INDArray weights() {
      return weights;
    }

    INDArray apply(INDArray input) {
      return input.mmul(weights).addiRowVector(bias);
    }

    void applyInto(INDArray input, INDArray out) {
      Nd4j.gemm(input, weights, out, false, false, 1.0, 0.0);
      out.addiRowVector(bias);
    }

    static Dense of(Map<String, INDArray> params, String prefix) {
      return new Dense(
          params
              .get(prefix + VariationalAutoencoderParamInitializer.WEIGHT_KEY_SUFFIX)
              .dup(),
          params
              .get(prefix + VariationalAutoencoderParamInitializer.BIAS_KEY_SUFFIX)
              .dup());
    }
  }

  /** Mean and log-variance of q(z|x), one row per example. */
  public record Encoded(INDArray mean, INDArray logVar) {}

  /** Sums over a batch of the per-example reconstruction and KL terms, in nats (a class, for Kryo). */
  public static final class ElboSums implements Serializable {
    private static final long serialVersionUID = 1L;
    private final double reconstruction;
    private final double kl;
    private final long examples;

    public ElboSums(double reconstruction, double kl, long examples) {
      this.reconstruction = reconstruction;
      this.kl = kl;
      this.examples = examples;
    }

    public double reconstruction() {
      return reconstruction;
    }

    public double kl() {
      return kl;
    }

    public long examples() {
      return examples;
    }

    /** The negative ELBO per example: mean reconstruction plus mean KL, in nats. */
    public double negElboPerExample() {
      return (reconstruction + kl) / examples;
    }

    public double reconstructionPerExample() {
      return reconstruction / examples;
    }

    public double klPerExample() {
      return kl / examples;
    }

    public ElboSums plus(ElboSums other) {
      return new ElboSums(
          reconstruction + other.reconstruction, kl + other.kl, examples + other.examples);
    }

    public static ElboSums zero() {
      return new ElboSums(0, 0, 0);
    }
  }

  private VaeWeights(
      List<Dense> encoder,
      Dense zMean,
      Dense zLogVar,
      List<Dense> decoder,
      Dense output,
      IActivation hiddenActivation,
      IActivation pzxActivation) {
    this.encoder = encoder;
    this.zMean = zMean;
    this.zLogVar = zLogVar;
    this.decoder = decoder;
    this.output = output;
    this.hiddenActivation = hiddenActivation;
    this.pzxActivation = pzxActivation;
  }

  public static VaeWeights of(MultiLayerNetwork network) {
    VariationalAutoencoder conf = VaeNetworks.layerConf(network);
    if (!(conf.getOutputDistribution() instanceof BernoulliReconstructionDistribution bernoulli)
        || !(bernoulli.getActivationFn() instanceof ActivationSigmoid)) {
      throw new IllegalArgumentException(
          "model uses reconstruction distribution " + conf.getOutputDistribution()
              + "; this tool needs a Bernoulli distribution with a sigmoid output");
    }
    Map<String, INDArray> params = network.getLayer(0).paramTable();
    List<Dense> encoder = new ArrayList<>();
    for (int i = 0; i < conf.getEncoderLayerSizes().length; i++) {
      encoder.add(Dense.of(params, VariationalAutoencoderParamInitializer.ENCODER_PREFIX + i));
    }
    List<Dense> decoder = new ArrayList<>();
    for (int i = 0; i < conf.getDecoderLayerSizes().length; i++) {
      decoder.add(Dense.of(params, VariationalAutoencoderParamInitializer.DECODER_PREFIX + i));
    }
    return new VaeWeights(
        encoder,
        Dense.of(params, VariationalAutoencoderParamInitializer.PZX_MEAN_PREFIX),
        Dense.of(params, VariationalAutoencoderParamInitializer.PZX_LOGSTD2_PREFIX),
        decoder,
        Dense.of(params, VariationalAutoencoderParamInitializer.PXZ_PREFIX),
        conf.getActivationFn(),
        conf.getPzxActivationFn());
  }

  public int inputSize() {
    return encoder.get(0).weights().rows();
  }

  public int latentSize() {
    return zMean.weights().columns();
  }

  public Encoded encode(INDArray x) {
    INDArray h = x;
    for (Dense layer : encoder) {
      INDArray next = hiddenActivation.getActivation(layer.apply(h), false);
      closeIntermediate(h, x);
      h = next;
    }
    Encoded encoded = new Encoded(
        pzxActivation.getActivation(zMean.apply(h), false),
        pzxActivation.getActivation(zLogVar.apply(h), false));
    closeIntermediate(h, x);
    return encoded;
  }

  /** Frees a hidden layer's output at once (left to the garbage collector, ND4J's memory piles up), never the input. */
  private static void closeIntermediate(INDArray h, INDArray input) {
    if (h != input) {
      h.close();
    }
  }

  /** Pre-sigmoid outputs of the decoder for latent rows {@code z}. */
  public INDArray decodeLogits(INDArray z) {
    INDArray h = z;
    for (Dense layer : decoder) {
      INDArray next = hiddenActivation.getActivation(layer.apply(h), false);
      closeIntermediate(h, z);
      h = next;
    }
    INDArray logits = output.apply(h);
    closeIntermediate(h, z);
    return logits;
  }

  /** The widths of the decoder's hidden layers, in order. */
  public long[] decoderWidths() {
    return decoder.stream().mapToLong(layer -> layer.weights().columns()).toArray();
  }

  /**
   * Pre-sigmoid decoder outputs for latent rows {@code z} into {@code logits}, through {@code hidden} (one buffer
   * per hidden layer, as many rows as z): GEMMs into the given arrays, nothing allocated.
   */
  public void decodeLogitsInto(INDArray z, INDArray[] hidden, INDArray logits) {
    INDArray h = z;
    for (int i = 0; i < decoder.size(); i++) {
      decoder.get(i).applyInto(h, hidden[i]);
      h = hiddenActivation.getActivation(hidden[i], false);
    }
    output.applyInto(h, logits);
  }

  /** Bernoulli means (pixel intensities in [0, 1]) for latent rows {@code z}. */
  public INDArray decode(INDArray z) {
    return Transforms.sigmoid(decodeLogits(z), false);
  }

  /**
   * Negative ELBO terms for a batch, with one reparameterised sample z = mean + exp(logVar / 2) * eps per
   * example: reconstruction = binary cross-entropy summed over pixels, KL = KL(q(z|x) || N(0, I)) in closed
   * form.
   */
  public ElboSums negativeElbo(INDArray x, INDArray eps) {
    Encoded q = encode(x);
    INDArray z = q.mean().add(Transforms.exp(q.logVar().mul(0.5), false).muli(eps));
    INDArray logits = decodeLogits(z);
    ElboSums sums =
        new ElboSums(VaeLoss.reconstruction(logits, x), VaeLoss.kl(q.mean(), q.logVar()), x.rows());
    for (INDArray temporary : new INDArray[] {q.mean(), q.logVar(), z, logits}) {
      temporary.close();
    }
    return sums;
  }

  /** Standard-normal noise for {@link #negativeElbo}, reproducible from {@code seed}. */
  public INDArray noise(long rows, long seed) {
    return Nd4j.randn(seed, new long[] {rows, latentSize()})
        .castTo(zMean.weights().dataType());
  }
}
