package org.vaespark.dataset;

import java.io.Serializable;
import java.util.List;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.vaespark.error.InputFileException;
import org.vaespark.runtime.NativeArrays;

/**
 * One worker's share of a split: the original pixel bytes of its examples, row after row (784 bytes each), kept
 * on the JVM heap where Spark's cache accounts for them (4x smaller than floats). Minibatches are cut from it in
 * a new order every epoch and turned into [n, 784] floats in [0, 1] only when a step needs them.
 */
public final class PixelBlock implements Serializable {
  private static final long serialVersionUID = 1L;
  /** A block without rows (a worker that got no examples). */
  public static final PixelBlock EMPTY = new PixelBlock(List.of());

  private final byte[] pixels;
  private final int rows;

  public PixelBlock(List<byte[]> examples) {
    rows = examples.size();
    pixels = new byte[rows * Images.PIXELS];
    for (int i = 0; i < rows; i++) {
      byte[] example = examples.get(i);
      if (example.length != Images.PIXELS) {
        throw new InputFileException(
            "an example has " + example.length + " pixel bytes, expected " + Images.PIXELS);
      }
      System.arraycopy(example, 0, pixels, i * Images.PIXELS, Images.PIXELS);
    }
  }

  public int rows() {
    return rows;
  }

  /** Minibatches of {@code batchSize} in one epoch (the last may be smaller). */
  public int batches(int batchSize) {
    return (rows + batchSize - 1) / batchSize;
  }

  /** The rows in their stored order (by id). */
  public int[] identity() {
    int[] order = new int[rows];
    for (int i = 0; i < rows; i++) {
      order[i] = i;
    }
    return order;
  }

  /** A permutation of the rows, the same for the same seed. */
  public int[] order(long seed) {
    int[] order = identity();
    SplittableRandom random = new SplittableRandom(seed);
    for (int i = rows - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      int t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
    return order;
  }

  /** Minibatch {@code index} of size {@code batchSize} in the given order, as [n, 784] floats in [0, 1]. */
  public INDArray batch(int[] order, int index, int batchSize) {
    float[] out = new float[rowsOf(index, batchSize) * Images.PIXELS];
    int n = toUnitFloats(order, index, batchSize, out);
    return NativeArrays.floats(out, n * Images.PIXELS, n, Images.PIXELS);
  }

  /** Rows in minibatch {@code index} of size {@code batchSize}. */
  public int rowsOf(int index, int batchSize) {
    return Math.max(0, Math.min(batchSize, rows - index * batchSize));
  }

  /** Minibatch {@code index} as floats in [0, 1], row after row, into {@code out}; returns its rows. */
  int toUnitFloats(int[] order, int index, int batchSize, float[] out) {
    int from = index * batchSize;
    int n = rowsOf(index, batchSize);
    for (int r = 0; r < n; r++) {
      Images.toUnitFloats(pixels, order[from + r] * Images.PIXELS, out, r * Images.PIXELS);
    }
    return n;
  }
}
