package org.vaespark.model;

import java.io.Serializable;
import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * The importance-sampled estimate of log p(x) (Burda, Grosse and Salakhutdinov, 2016) for each example of a
 * batch: log of the mean over k samples z ~ q(z|x) of p(x|z) p(z) / q(z|x). The network's work (encoding,
 * decoding k samples per example) runs in ND4J in the model's precision; the log weights are combined by a
 * running log-sum-exp in double precision. With k = 1 its expectation is the ELBO; it rises towards log p(x) as
 * k grows. Also gives the reconstruction log-probability log mean_j p(x|z_j) over the same samples (what DL4J's
 * {@code reconstructionLogProbability} estimates; it leaves out p(z) / q(z|x)).
 */
public final class LogLikelihood {
  private static final double LOG_2PI = Math.log(2 * Math.PI);
  /** Decoded rows per chunk (examples x samples): bounds the memory of one chunk to about 20 MB of logits. */
  private static final int ROWS_PER_CHUNK = 6_000;

  private LogLikelihood() {}

  /** Per-example estimates, in nats. A class, not a record: Kryo 4 cannot build records. */
  public static final class Estimates implements Serializable {
    private static final long serialVersionUID = 1L;
    private final double[] logPx;
    private final double[] reconstructionLogProb;

    Estimates(double[] logPx, double[] reconstructionLogProb) {
      this.logPx = logPx;
      this.reconstructionLogProb = reconstructionLogProb;
    }

    /** Importance-sampled log p(x) of each example. */
    public double[] logPx() {
      return logPx;
    }

    /** log of the mean of p(x|z_j) over the samples, each example. */
    public double[] reconstructionLogProb() {
      return reconstructionLogProb;
    }
  }

  /**
   * Estimates for the rows of {@code x} ([n, inputs] in [0, 1]) with {@code k} samples each, the noise drawn
   * from ND4J's generator seeded with {@code seed}.
   */
  public static Estimates estimate(VaeWeights weights, INDArray x, int k, long seed) {
    if (k < 1) {
      throw new IllegalArgumentException("importance samples must be at least 1, got " + k);
    }
    int n = x.rows();
    int latent = weights.latentSize();
    VaeWeights.Encoded q = weights.encode(x);
    INDArray std = Transforms.exp(q.logVar().mul(0.5), false);
    double[] sumLogVar = toDoubles(q.logVar().sum(1));
    LogSumExp weightsSum = new LogSumExp(n);
    LogSumExp reconstructionSum = new LogSumExp(n);
    Nd4j.getRandom().setSeed(seed);
    int perChunk = Math.max(1, Math.min(k, ROWS_PER_CHUNK / Math.max(1, n)));
    for (int done = 0; done < k; done += perChunk) {
      int c = Math.min(perChunk, k - done);
      // Rows example-major: row i * c + t is sample t of example i.
      INDArray eps = Nd4j.randn(q.mean().dataType(), (long) n * c, latent);
      INDArray z = q.mean().repeat(0, c).addi(std.repeat(0, c).muli(eps));
      double[] logPxz = logPxGivenZ(weights, x, z, c);
      double[] zSq = toDoubles(z.mul(z).sum(1));
      double[] epsSq = toDoubles(eps.mul(eps).sum(1));
      for (int i = 0; i < n; i++) {
        for (int t = 0; t < c; t++) {
          int r = i * c + t;
          double logPz = -0.5 * (zSq[r] + latent * LOG_2PI);
          double logQz = -0.5 * (epsSq[r] + sumLogVar[i] + latent * LOG_2PI);
          weightsSum.add(i, logPxz[r] + logPz - logQz);
          reconstructionSum.add(i, logPxz[r]);
        }
      }
    }
    return new Estimates(weightsSum.logMean(k), reconstructionSum.logMean(k));
  }

  /** log p(x|z) of each row of z, against x repeated c times (example i's samples in rows i * c ..). */
  private static double[] logPxGivenZ(VaeWeights weights, INDArray x, INDArray z, int c) {
    INDArray logits = weights.decodeLogits(z);
    INDArray xr = x.repeat(0, c);
    double[] out = toDoubles(VaeLoss.reconstructionPerRow(logits, xr).negi());
    logits.close();
    xr.close();
    return out;
  }

  private static double[] toDoubles(INDArray values) {
    return values.castTo(DataType.DOUBLE).reshape(-1).toDoubleVector();
  }

  /** A running log-sum-exp per example, in double precision. */
  private static final class LogSumExp {
    private final double[] max;
    private final double[] scaledSum;

    LogSumExp(int n) {
      max = new double[n];
      scaledSum = new double[n];
      Arrays.fill(max, Double.NEGATIVE_INFINITY);
    }

    void add(int i, double value) {
      if (value <= max[i]) {
        scaledSum[i] += Math.exp(value - max[i]);
      } else {
        scaledSum[i] = scaledSum[i] * Math.exp(max[i] - value) + 1.0;
        max[i] = value;
      }
    }

    double[] logMean(int k) {
      double[] out = new double[max.length];
      for (int i = 0; i < out.length; i++) {
        out[i] = max[i] + Math.log(scaledSum[i]) - Math.log(k);
      }
      return out;
    }
  }
}
