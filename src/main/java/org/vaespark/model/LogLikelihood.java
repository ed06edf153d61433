package org.vaespark.model;

import java.io.Serializable;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.reduce3.Dot;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
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
  /** Above this logit, log(1 + exp(l)) overflows in single precision (exp(88.7) is the largest float). */
  private static final double SOFTPLUS_SAFE = 80;

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
   * from ND4J's generator seeded with {@code seed}. Allocates its work arrays for this call; to score many
   * batches, keep one {@link Scorer}.
   */
  public static Estimates estimate(VaeWeights weights, INDArray x, int k, long seed) {
    return new Scorer(weights).estimate(x, k, seed);
  }

  /**
   * Scores batches with one model, reusing its work arrays (latent samples, noise, hidden layers, logits: one
   * set per chunk size) across batches, so that scoring allocates no large arrays per batch: allocating and
   * zeroing them cost more than the GEMMs. Not thread-safe: one per task.
   */
  public static final class Scorer {
    private final VaeWeights weights;
    private final Map<Long, Work> work = new HashMap<>();

    public Scorer(VaeWeights weights) {
      this.weights = weights;
    }

    /** As {@link LogLikelihood#estimate}. */
    public Estimates estimate(INDArray x, int k, long seed) {
      VaeWeights.Encoded q = weights.encode(x);
      Estimates estimates = estimate(x, q, k, seed);
      q.mean().close();
      q.logVar().close();
      return estimates;
    }

    /** As {@link #estimate(INDArray, int, long)}, for rows already encoded to {@code q} (which it leaves open). */
    public Estimates estimate(INDArray x, VaeWeights.Encoded q, int k, long seed) {
      if (k < 1) {
        throw new IllegalArgumentException("importance samples must be at least 1, got " + k);
      }
      int n = x.rows();
      int latent = weights.latentSize();
      INDArray std = Transforms.exp(q.logVar().mul(0.5), false);
      double[] sumLogVar = toDoubles(q.logVar().sum(1));
      LogSumExp weightsSum = new LogSumExp(n);
      LogSumExp reconstructionSum = new LogSumExp(n);
      Nd4j.getRandom().setSeed(seed);
      int perChunk = Math.max(1, Math.min(k, ROWS_PER_CHUNK / Math.max(1, n)));
      for (int done = 0; done < k; done += perChunk) {
        int c = Math.min(perChunk, k - done);
        Work w = work((long) n * c, x.dataType());
        Nd4j.randn(w.eps);
        // Rows sample-major: rows t * n .. t * n + n - 1 are sample t of every example.
        for (int t = 0; t < c; t++) {
          block(w.z, t, n).assign(std).muli(block(w.eps, t, n)).addi(q.mean());
        }
        double[] logPxz = logPxGivenZ(x, w, n, c);
        double[] zSq = toDoubles(rowDots(w.z, w.z, w.zSq));
        double[] epsSq = toDoubles(rowDots(w.eps, w.eps, w.epsSq));
        for (int t = 0; t < c; t++) {
          for (int i = 0; i < n; i++) {
            int r = t * n + i;
            double logPz = -0.5 * (zSq[r] + latent * LOG_2PI);
            double logQz = -0.5 * (epsSq[r] + sumLogVar[i] + latent * LOG_2PI);
            weightsSum.add(i, logPxz[r] + logPz - logQz);
            reconstructionSum.add(i, logPxz[r]);
          }
        }
      }
      std.close();
      return new Estimates(weightsSum.logMean(k), reconstructionSum.logMean(k));
    }

    /**
     * The negative ELBO terms of {@code x} summed over the batch, with one latent sample per example, mean + std *
     * {@code eps}, and the analytic KL: what {@link VaeWeights#negativeElbo} computes, in this scorer's work arrays.
     */
    public VaeWeights.ElboSums negativeElbo(INDArray x, INDArray eps) {
      VaeWeights.Encoded q = weights.encode(x);
      int n = x.rows();
      Work w = work(n, x.dataType());
      INDArray std = Transforms.exp(q.logVar().mul(0.5), false);
      w.z.assign(std).muli(eps).addi(q.mean());
      double reconstruction = -Arrays.stream(logPxGivenZ(x, w, n, 1)).sum();
      double kl = VaeLoss.kl(q.mean(), q.logVar());
      for (INDArray done : new INDArray[] {std, q.mean(), q.logVar()}) {
        done.close();
      }
      return new VaeWeights.ElboSums(reconstruction, kl, n);
    }

    /**
     * log p(x|z) of each latent row: x . l - sum softplus(l) over the pixels, for the decoder's logits l; the
     * softplus in place over the logits, the dot products without temporaries.
     */
    private double[] logPxGivenZ(INDArray x, Work w, int n, int c) {
      weights.decodeLogitsInto(w.z, w.hidden, w.logits);
      for (int t = 0; t < c; t++) {
        Nd4j.getExecutioner().exec(new Dot(block(w.logits, t, n), x, block(w.xl, t, n), 1));
      }
      if (w.logits.maxNumber().doubleValue() > SOFTPLUS_SAFE) {
        // log(1 + exp(l)) would overflow: the stable form, with temporaries.
        double[] out = new double[n * c];
        for (int t = 0; t < c; t++) {
          double[] part = toDoubles(VaeLoss.reconstructionPerRow(block(w.logits, t, n), x));
          for (int i = 0; i < n; i++) {
            out[t * n + i] = -part[i];
          }
        }
        return out;
      }
      Transforms.softPlus(w.logits, false).sum(w.softplusSums, 1);
      return toDoubles(w.xl.sub(w.softplusSums));
    }

    private Work work(long rows, DataType type) {
      return work.computeIfAbsent(rows, r -> new Work(type, r, weights));
    }
  }

  /** A chunk's arrays, for one number of latent rows. */
  private static final class Work {
    final INDArray z;
    final INDArray eps;
    final INDArray[] hidden;
    final INDArray logits;
    final INDArray xl;
    final INDArray softplusSums;
    final INDArray zSq;
    final INDArray epsSq;

    Work(DataType type, long rows, VaeWeights weights) {
      z = Nd4j.createUninitialized(type, rows, weights.latentSize());
      eps = Nd4j.createUninitialized(type, rows, weights.latentSize());
      long[] widths = weights.decoderWidths();
      hidden = new INDArray[widths.length];
      for (int i = 0; i < widths.length; i++) {
        hidden[i] = Nd4j.createUninitialized(type, rows, widths[i]);
      }
      logits = Nd4j.createUninitialized(type, rows, weights.inputSize());
      xl = Nd4j.createUninitialized(type, rows);
      softplusSums = Nd4j.createUninitialized(type, rows);
      zSq = Nd4j.createUninitialized(type, rows);
      epsSq = Nd4j.createUninitialized(type, rows);
    }
  }

  /** Rows t * n .. t * n + n - 1 of a matrix, or of a vector. */
  private static INDArray block(INDArray array, int t, int n) {
    return array.rank() == 1
        ? array.get(NDArrayIndex.interval((long) t * n, (long) (t + 1) * n))
        : array.get(NDArrayIndex.interval((long) t * n, (long) (t + 1) * n), NDArrayIndex.all());
  }

  /** The dot product of each row of {@code a} with the same row of {@code b}, into {@code out}. */
  private static INDArray rowDots(INDArray a, INDArray b, INDArray out) {
    Nd4j.getExecutioner().exec(new Dot(a, b, out, 1));
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
