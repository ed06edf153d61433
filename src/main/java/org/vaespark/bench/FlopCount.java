package org.vaespark.bench;

import java.util.ArrayList;
import java.util.List;
import org.vaespark.config.Settings;

/**
 * Floating-point operations of one training step per example, as the fused step issues them: the forward
 * GEMMs, the weight-gradient GEMMs (the same sizes) and the input-gradient GEMMs of every layer but the first
 * (nothing needs the gradient of the pixels); 2 flops per multiply-add. Elementwise work is left out.
 */
public final class FlopCount {
  private FlopCount() {}

  public static long perExample(Settings.ModelSettings model, int inputs) {
    List<long[]> layers = new ArrayList<>(); // {in, out}
    long previous = inputs;
    for (int size : model.encoderLayerSizes()) {
      layers.add(new long[] {previous, size});
      previous = size;
    }
    layers.add(new long[] {previous, 2L * model.latentSize()}); // mean and log-variance heads
    previous = model.latentSize();
    for (int size : model.decoderLayerSizes()) {
      layers.add(new long[] {previous, size});
      previous = size;
    }
    layers.add(new long[] {previous, inputs});
    long forward = layers.stream().mapToLong(l -> 2 * l[0] * l[1]).sum();
    long firstLayer = 2 * layers.get(0)[0] * layers.get(0)[1];
    return forward /* forward */
        + forward /* weight gradients */
        + (forward - firstLayer) /* input gradients */;
  }
}
