package org.vaespark.model;

import java.nio.FloatBuffer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.learning.config.Adam;
import org.vaespark.runtime.NativeArrays;

/**
 * Adam over float parameters, computed on the Java heap, where the JIT compiles its loop to SIMD code: ND4J
 * 1.0.0-M2.1's fused Adam op runs element by element (about 2.5 ms per step for this model's 653k parameters,
 * as long as all its GEMMs; this loop with its two copies takes about 0.3 ms: docs/performance.md).
 *
 * <p>The same arithmetic and state layout as ND4J's {@code AdamUpdater}: first moments then second moments in one
 * flat array, bias correction folded into the step size {@code lr sqrt(1 - beta2^t) / (1 - beta1^t)} with
 * {@code t = iteration + 1}, update {@code m step / (sqrt(v) + epsilon)}. The parameters, moments and gradient live
 * in ND4J arrays (GEMMs read the parameters, rounds move the state); this keeps working copies of the parameters and
 * moments: the parameters are written back after every step, the moments when {@link #flush} is called, and
 * {@link #reload} takes all three from the ND4J arrays after they were changed from outside.
 */
final class HeapAdam {
  private final Adam config;
  private final FloatBuffer paramsMemory;
  private final FloatBuffer stateMemory;
  private final FloatBuffer gradientMemory;
  private final float[] params;
  private final float[] m;
  private final float[] v;
  private final float[] gradient;
  private boolean momentsChanged;

  HeapAdam(Adam config, INDArray params, INDArray updaterState, INDArray gradient) {
    this.config = config;
    int n = Math.toIntExact(params.length());
    this.paramsMemory = NativeArrays.bytes(params).asFloatBuffer();
    this.stateMemory = NativeArrays.bytes(updaterState).asFloatBuffer();
    this.gradientMemory = NativeArrays.bytes(gradient).asFloatBuffer();
    this.params = new float[n];
    this.m = new float[n];
    this.v = new float[n];
    this.gradient = new float[n];
    reload();
  }

  /** One Adam step with the gradient now in the gradient array; the parameter array holds the result. */
  void step(int iteration, int epoch) {
    gradientMemory.get(0, gradient);
    float beta1 = (float) config.getBeta1();
    float beta2 = (float) config.getBeta2();
    float epsilon = (float) config.getEpsilon();
    double lr = config.getLearningRate(iteration, epoch);
    double stepSize =
        lr * Math.sqrt(1 - Math.pow(beta2, iteration + 1)) / (1 - Math.pow(beta1, iteration + 1));
    if (!Double.isFinite(stepSize) || stepSize == 0) {
      stepSize = epsilon; // as ND4J's op does
    }
    update(params, m, v, gradient, beta1, beta2, epsilon, (float) stepSize);
    paramsMemory.put(0, params);
    momentsChanged = true;
  }

  /** The loop the JIT vectorises: plain float arrays, no calls but sqrt. */
  private static void update(
      float[] p,
      float[] m,
      float[] v,
      float[] g,
      float beta1,
      float beta2,
      float epsilon,
      float stepSize) {
    float oneMinusBeta1 = 1 - beta1;
    float oneMinusBeta2 = 1 - beta2;
    for (int i = 0; i < p.length; i++) {
      float gi = g[i];
      float mi = beta1 * m[i] + gi * oneMinusBeta1;
      float vi = beta2 * v[i] + gi * gi * oneMinusBeta2;
      m[i] = mi;
      v[i] = vi;
      p[i] -= mi * stepSize / ((float) Math.sqrt(vi) + epsilon);
    }
  }

  /** Writes the moments into the updater-state array (the parameters are always written). */
  void flush() {
    if (momentsChanged) {
      stateMemory.put(0, m);
      stateMemory.put(m.length, v);
      momentsChanged = false;
    }
  }

  /** Takes parameters and moments from their ND4J arrays. */
  void reload() {
    paramsMemory.get(0, params);
    stateMemory.get(0, m);
    stateMemory.get(m.length, v);
    momentsChanged = false;
  }
}
