package org.vaespark.model;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.variational.VariationalAutoencoder;
import org.deeplearning4j.nn.params.VariationalAutoencoderParamInitializer;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationReLU;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.scalar.RectifiedLinearDerivative;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.AdamUpdater;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * The VAE's training step written for this model: the GEMMs the maths needs and no more (no input gradient for
 * the first layer), the Bernoulli loss and its gradient in logits form (gradient {@code sigmoid(l) - x}, loss
 * {@code softplus(l) - x l} computed stably), the analytic KL term, and Adam ({@link HeapAdam} for float models,
 * ND4J's fused updater op otherwise) over the same state layout as DL4J's. ND4J operations only, so it runs on the CPU and CUDA backends alike.
 *
 * <p>Same parameters, same layout, same objective as DL4J's {@code VariationalAutoencoder} layer with a Bernoulli
 * sigmoid output and identity q(z|x) activation: {@code FusedVaeStepTest} compares loss and gradients with the
 * layer's own in double precision.
 */
public final class FusedVaeStep implements TrainingStep {
  private final INDArray params;
  private final INDArray updaterState;
  private final INDArray gradient;
  private final IActivation activation;
  private final boolean plainRelu;
  private final List<INDArray[]> encoder = new ArrayList<>(); // {W, b, dW, db}
  private final List<INDArray[]> decoder = new ArrayList<>();
  private final INDArray[] mean;
  private final INDArray[] logVar;
  private final INDArray[] output;
  private final AdamUpdater adam;
  private final HeapAdam heapAdam;
  private final long latentSize;
  private final Map<Long, Buffers> buffers = new HashMap<>();

  /**
   * A step over {@code params} and {@code updaterState}, which it updates in place.
   *
   * @param conf the network configuration that {@link VaeNetworks} builds (one VAE layer, Adam)
   */
  public FusedVaeStep(MultiLayerConfiguration conf, INDArray params, INDArray updaterState) {
    NeuralNetConfiguration layerConf = conf.getConf(0);
    if (!(layerConf.getLayer() instanceof VariationalAutoencoder vae)) {
      throw new IllegalArgumentException("not a VAE configuration: " + layerConf.getLayer());
    }
    if (!(vae.getIUpdater() instanceof Adam adamConfig)) {
      throw new IllegalArgumentException(
          "the fused step implements Adam only, the model uses " + vae.getIUpdater());
    }
    if (updaterState.length() != 2 * params.length()) {
      throw new IllegalArgumentException(
          "updater state has " + updaterState.length() + " values, expected 2 x " + params.length()
              + " (Adam's two moments over every parameter)");
    }
    this.params = params;
    this.updaterState = updaterState;
    this.gradient = Nd4j.create(params.dataType(), params.shape());
    this.activation = vae.getActivationFn();
    this.plainRelu = new ActivationReLU().equals(activation);
    VariationalAutoencoderParamInitializer init =
        VariationalAutoencoderParamInitializer.getInstance();
    Map<String, INDArray> p = init.getGradientsFromFlattened(layerConf, params);
    Map<String, INDArray> g = init.getGradientsFromFlattened(layerConf, gradient);
    for (int i = 0; i < vae.getEncoderLayerSizes().length; i++) {
      encoder.add(dense(p, g, VariationalAutoencoderParamInitializer.ENCODER_PREFIX + i));
    }
    mean = dense(p, g, VariationalAutoencoderParamInitializer.PZX_MEAN_PREFIX);
    logVar = dense(p, g, VariationalAutoencoderParamInitializer.PZX_LOGSTD2_PREFIX);
    for (int i = 0; i < vae.getDecoderLayerSizes().length; i++) {
      decoder.add(dense(p, g, VariationalAutoencoderParamInitializer.DECODER_PREFIX + i));
    }
    output = dense(p, g, VariationalAutoencoderParamInitializer.PXZ_PREFIX);
    latentSize = mean[0].columns();
    // Float models take Adam on the heap (vectorised by the JIT); others ND4J's op.
    heapAdam = params.dataType() == DataType.FLOAT
        ? new HeapAdam(adamConfig, params, updaterState, gradient)
        : null;
    adam = heapAdam == null ? new AdamUpdater(adamConfig) : null;
    if (adam != null) {
      adam.setStateViewArray(updaterState, params.shape(), 'c', false);
    }
  }

  private static INDArray[] dense(Map<String, INDArray> p, Map<String, INDArray> g, String prefix) {
    String w = prefix + VariationalAutoencoderParamInitializer.WEIGHT_KEY_SUFFIX;
    String b = prefix + VariationalAutoencoderParamInitializer.BIAS_KEY_SUFFIX;
    return new INDArray[] {p.get(w), p.get(b), g.get(w), g.get(b)};
  }

  @Override
  public INDArray params() {
    return params;
  }

  @Override
  public INDArray updaterState() {
    return updaterState;
  }

  /** The gradient of the last {@link #computeGradient} (mean over the minibatch), in the parameters' layout. */
  public INDArray gradient() {
    return gradient;
  }

  @Override
  public double fit(INDArray x, int iteration, int epoch) {
    return fit(x, iteration, epoch, true);
  }

  /** Without {@code computeLoss} the loss is not computed (NaN is returned): three passes over the output saved. */
  @Override
  public double fit(INDArray x, int iteration, int epoch, boolean computeLoss) {
    Buffers b = buffers(x.rows());
    Nd4j.randn(b.eps);
    double loss = computeGradient(x, b.eps, computeLoss);
    if (heapAdam != null) {
      heapAdam.step(iteration, epoch);
    } else {
      adam.applyUpdater(gradient, iteration, epoch);
      params.subi(gradient);
    }
    return loss;
  }

  @Override
  public void flush() {
    if (heapAdam != null) {
      heapAdam.flush();
    }
  }

  @Override
  public void reload() {
    if (heapAdam != null) {
      heapAdam.reload();
    }
  }

  /**
   * The mean negative ELBO of {@code x} with noise {@code eps} (one sample per example), and its gradient
   * (mean over the minibatch) into {@link #gradient()}.
   */
  public double computeGradient(INDArray x, INDArray eps) {
    return computeGradient(x, eps, true);
  }

  private double computeGradient(INDArray x, INDArray eps, boolean computeLoss) {
    Buffers b = buffers(x.rows());
    double scale = 1.0 / x.rows();
    Activations forward = forward(x, eps, b);
    double loss = computeLoss
        ? (VaeLoss.reconstruction(b.logits, x) + VaeLoss.kl(b.mu, b.logVar)) * scale
        : Double.NaN;
    backwardDecoder(x, forward.decoded(), b, scale);
    backwardEncoder(x, eps, forward.encoded(), b, scale);
    return loss;
  }

  /** The last encoder layer's and the last decoder layer's outputs of a forward pass. */
  private record Activations(INDArray encoded, INDArray decoded) {}

  /** Forward pass into the buffers; pre-activations are kept for the backward pass. */
  private Activations forward(INDArray x, INDArray eps, Buffers b) {
    INDArray h = x;
    for (int i = 0; i < encoder.size(); i++) {
      h = forward(encoder.get(i), h, b.encPre[i], b.encOut[i]);
    }
    affine(mean, h, b.mu);
    affine(logVar, h, b.logVar);
    Transforms.exp(b.std.assign(b.logVar).muli(0.5), false);
    b.z.assign(b.std).muli(eps).addi(b.mu);
    INDArray d = b.z;
    for (int i = 0; i < decoder.size(); i++) {
      d = forward(decoder.get(i), d, b.decPre[i], b.decOut[i]);
    }
    affine(output, d, b.logits);
    return new Activations(h, d);
  }

  /** Output and decoder layers; leaves dL/dz in {@code b.dz}. Output layer: dL/dlogits = (sigmoid(l) - x) / n. */
  private void backwardDecoder(INDArray x, INDArray decoded, Buffers b, double scale) {
    // In place: the logits buffer is free once the loss is computed.
    INDArray delta = Transforms.sigmoid(b.logits, false).subi(x).muli(scale);
    INDArray upstream = backward(output, decoded, delta, b.decGrad[decoder.size() - 1]);
    for (int i = decoder.size() - 1; i >= 0; i--) {
      INDArray dPre = backpropActivation(b.decPre[i], upstream);
      INDArray input = i == 0 ? b.z : b.decOut[i - 1];
      upstream = backward(decoder.get(i), input, dPre, i == 0 ? b.dz : b.decGrad[i - 1]);
    }
  }

  /**
   * Reparameterisation, KL and encoder layers: dz/dmu = 1 and dz/dlv = eps * std / 2; the KL adds mu / n and
   * (exp(lv) - 1) / 2n.
   */
  private void backwardEncoder(
      INDArray x, INDArray eps, INDArray encoded, Buffers b, double scale) {
    INDArray dMu = b.dMu.assign(b.mu).muli(scale).addi(b.dz);
    INDArray dLv = b.dz
        .muli(eps)
        .muli(b.std)
        .muli(0.5)
        .addi(Transforms.exp(b.logVar, true).subi(1.0).muli(0.5 * scale));
    INDArray dH = b.encGrad[encoder.size() - 1];
    weightGradients(mean, encoded, dMu);
    weightGradients(logVar, encoded, dLv);
    Nd4j.gemm(dMu, mean[0], dH, false, true, 1.0, 0.0);
    Nd4j.gemm(dLv, logVar[0], dH, false, true, 1.0, 1.0);
    for (int i = encoder.size() - 1; i >= 0; i--) {
      INDArray dPre = backpropActivation(b.encPre[i], dH);
      if (i == 0) {
        weightGradients(encoder.get(i), x, dPre); // nothing needs the gradient of the input pixels
      } else {
        dH = backward(encoder.get(i), b.encOut[i - 1], dPre, b.encGrad[i - 1]);
      }
    }
  }

  /**
   * dL/dpre from dL/dout through the hidden activation. For plain ReLU, in place over {@code upstream} (a work
   * buffer the caller no longer needs); other activations go through DL4J's backprop, which allocates.
   */
  private INDArray backpropActivation(INDArray pre, INDArray upstream) {
    if (plainRelu) {
      Nd4j.exec(new RectifiedLinearDerivative(pre, upstream, upstream));
      return upstream;
    }
    return activation.backprop(pre, upstream).getFirst();
  }

  /** out := act(in W + b), with the pre-activation kept in {@code pre}. */
  private INDArray forward(INDArray[] layer, INDArray in, INDArray pre, INDArray out) {
    affine(layer, in, pre);
    return activation.getActivation(out.assign(pre), true);
  }

  private static void affine(INDArray[] layer, INDArray in, INDArray out) {
    Nd4j.gemm(in, layer[0], out, false, false, 1.0, 0.0);
    out.addiRowVector(layer[1]);
  }

  /** Weight and bias gradients of one affine map into the gradient views; the input's gradient into {@code inputGrad}. */
  private static INDArray backward(
      INDArray[] layer, INDArray input, INDArray delta, INDArray inputGrad) {
    weightGradients(layer, input, delta);
    Nd4j.gemm(delta, layer[0], inputGrad, false, true, 1.0, 0.0);
    return inputGrad;
  }

  private static void weightGradients(INDArray[] layer, INDArray input, INDArray delta) {
    Nd4j.gemm(input, delta, layer[2], true, false, 1.0, 0.0);
    delta.sum(layer[3], 0);
  }

  /** Work arrays for one minibatch size, allocated once. */
  private static final class Buffers {
    final INDArray[] encPre;
    final INDArray[] encOut;
    final INDArray[] encGrad;
    final INDArray[] decPre;
    final INDArray[] decOut;
    final INDArray[] decGrad;
    final INDArray mu;
    final INDArray logVar;
    final INDArray std;
    final INDArray z;
    final INDArray eps;
    final INDArray dz;
    final INDArray dMu;
    final INDArray logits;

    Buffers(
        DataType type,
        long rows,
        List<INDArray[]> encoder,
        List<INDArray[]> decoder,
        long latent,
        long inputs) {
      encPre = columns(type, rows, encoder);
      encOut = columns(type, rows, encoder);
      encGrad = columns(type, rows, encoder);
      decPre = columns(type, rows, decoder);
      decOut = columns(type, rows, decoder);
      decGrad = columns(type, rows, decoder);
      mu = Nd4j.create(type, rows, latent);
      logVar = Nd4j.create(type, rows, latent);
      std = Nd4j.create(type, rows, latent);
      z = Nd4j.create(type, rows, latent);
      eps = Nd4j.create(type, rows, latent);
      dz = Nd4j.create(type, rows, latent);
      dMu = Nd4j.create(type, rows, latent);
      logits = Nd4j.create(type, rows, inputs);
    }

    private static INDArray[] columns(DataType type, long rows, List<INDArray[]> layers) {
      INDArray[] out = new INDArray[layers.size()];
      for (int i = 0; i < out.length; i++) {
        out[i] = Nd4j.create(type, rows, layers.get(i)[0].columns());
      }
      return out;
    }
  }

  private Buffers buffers(long rows) {
    return buffers.computeIfAbsent(
        rows,
        r -> new Buffers(params.dataType(), r, encoder, decoder, latentSize, output[0].columns()));
  }
}
