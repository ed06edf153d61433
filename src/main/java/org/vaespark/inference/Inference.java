package org.vaespark.inference;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.function.BiPredicate;
import java.util.function.Function;
import org.apache.spark.sql.Row;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.vaespark.dataset.Minibatches;
import org.vaespark.error.InputFileException;
import org.vaespark.model.LogLikelihood;
import org.vaespark.model.VaeWeights;

/**
 * The one implementation of inference, shared by {@code generate}'s embeddings, {@code score},
 * {@code VaeModel.transform}, the SQL functions, the anomaly threshold and the neighbour search: a batch of pixel
 * rows to the mean and log-variance of q(z|x), the importance-sampled log p(x) and the reconstruction
 * log-probability. The noise of a batch's estimates is drawn from ND4J's generator seeded with the seed given for
 * the batch (by convention the seed plus the batch's first id), so the same rows in the same batch give the same
 * figures wherever they are computed. One per task: it keeps the scorer's work arrays between batches.
 */
public final class Inference {
  /** Rows per batch when a partition is streamed through {@link #batched}. */
  public static final int BATCH = 1024;

  private final VaeWeights weights;
  private final LogLikelihood.Scorer scorer;

  public Inference(VaeWeights weights) {
    this.weights = weights;
    this.scorer = new LogLikelihood.Scorer(weights);
  }

  /** What inference gives for each row of a batch. A plain class, not a record (Kryo 4 cannot build records). */
  public static final class Scored {
    private final float[][] zMean;
    private final float[][] zLogVar;
    private final double[] logPx;
    private final double[] reconstructionLogProb;

    Scored(float[][] zMean, float[][] zLogVar, double[] logPx, double[] reconstructionLogProb) {
      this.zMean = zMean;
      this.zLogVar = zLogVar;
      this.logPx = logPx;
      this.reconstructionLogProb = reconstructionLogProb;
    }

    public float[] zMean(int i) {
      return zMean[i];
    }

    public float[] zLogVar(int i) {
      return zLogVar[i];
    }

    /** Importance-sampled log p(x) in nats (NaN when the batch was encoded only). */
    public double logPx(int i) {
      return logPx[i];
    }

    /** log of the mean of p(x|z) over the same samples, in nats (NaN when encoded only). */
    public double reconstructionLogProb(int i) {
      return reconstructionLogProb[i];
    }
  }

  /** A float vector as the boxed array Spark's {@code array<float>} columns take. */
  public static Float[] boxed(float[] values) {
    Float[] out = new Float[values.length];
    for (int i = 0; i < values.length; i++) {
      out[i] = values[i];
    }
    return out;
  }

  public VaeWeights weights() {
    return weights;
  }

  /**
   * Encodes a batch of pixel rows (8-bit, the model's image size) and, for {@code k} >= 1, estimates log p(x)
   * with {@code k} importance samples each, the noise seeded with {@code seed}; {@code k} = 0 encodes only.
   */
  public Scored score(List<byte[]> pixels, int k, long seed) {
    for (byte[] row : pixels) {
      if (row.length != weights.inputSize()) {
        throw new InputFileException("an image has " + row.length + " pixels, but the model takes "
            + weights.inputSize() + ": give images of the model's size");
      }
    }
    INDArray x = Minibatches.features(pixels);
    VaeWeights.Encoded encoded = weights.encode(x);
    float[][] means = encoded.mean().toFloatMatrix();
    float[][] logVars = encoded.logVar().toFloatMatrix();
    double[] logPx = new double[pixels.size()];
    double[] reconstruction = new double[pixels.size()];
    if (k > 0) {
      LogLikelihood.Estimates scores = scorer.estimate(x, encoded, k, seed);
      logPx = scores.logPx();
      reconstruction = scores.reconstructionLogProb();
    } else {
      Arrays.fill(logPx, Double.NaN);
      Arrays.fill(reconstruction, Double.NaN);
    }
    for (INDArray done : new INDArray[] {x, encoded.mean(), encoded.logVar()}) {
      done.close();
    }
    return new Scored(means, logVars, logPx, reconstruction);
  }

  /**
   * A partition's rows out as they are asked for, one batch at a time, so a partition never sits whole in memory:
   * up to {@link #BATCH} consecutive rows that {@code together} keeps in one batch (it is given the batch's first
   * row and the next row), each batch turned into output rows by {@code batch}.
   */
  public static <T> Iterator<T> batched(
      Iterator<Row> rows, BiPredicate<Row, Row> together, Function<List<Row>, List<T>> batch) {
    return new Batched<>(rows, together, batch);
  }

  private static final class Batched<T> implements Iterator<T> {
    private final Iterator<Row> rows;
    private final BiPredicate<Row, Row> together;
    private final Function<List<Row>, List<T>> batch;
    private Row pending;
    private Iterator<T> done = Collections.emptyIterator();

    Batched(
        Iterator<Row> rows, BiPredicate<Row, Row> together, Function<List<Row>, List<T>> batch) {
      this.rows = rows;
      this.together = together;
      this.batch = batch;
    }

    @Override
    public boolean hasNext() {
      while (!done.hasNext()) {
        List<Row> next = nextBatch();
        if (next.isEmpty()) {
          return false;
        }
        done = batch.apply(next).iterator();
      }
      return true;
    }

    @Override
    public T next() {
      if (!hasNext()) {
        throw new NoSuchElementException();
      }
      return done.next();
    }

    private List<Row> nextBatch() {
      List<Row> out = new ArrayList<>(BATCH);
      if (pending != null) {
        out.add(pending);
        pending = null;
      }
      while (out.size() < BATCH && rows.hasNext()) {
        Row row = rows.next();
        if (!out.isEmpty() && !together.test(out.get(0), row)) {
          pending = row;
          break;
        }
        out.add(row);
      }
      return out;
    }
  }
}
