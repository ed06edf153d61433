package org.vaespark.dataset;

import java.io.Serializable;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.vaespark.runtime.NativeArrays;

/**
 * One worker's share of a split: the original pixel bytes of its examples, row after row (784 bytes each for
 * 28 x 28; every example has the dataset's size), kept on the JVM heap where Spark's cache accounts for them (4x
 * smaller than floats). Minibatches are cut from it in a new order every epoch and turned into [n, pixels] floats
 * in [0, 1] only when a step needs them.
 */
public final class PixelBlock implements Serializable {
  private static final long serialVersionUID = 1L;
  /** A block without rows (a worker that got no examples). */
  public static final PixelBlock EMPTY = new PixelBlock(List.of());

  private final byte[] pixels;
  private final int rows;
  private final int width;

  /** The examples, all of the size of the first. */
  public PixelBlock(List<byte[]> examples) {
    rows = examples.size();
    width = rows == 0 ? Images.PIXELS : examples.get(0).length;
    pixels = new byte[rows * width];
    for (int i = 0; i < rows; i++) {
      byte[] example = examples.get(i);
      Images.requireSize(example, width);
      System.arraycopy(example, 0, pixels, i * width, width);
    }
  }

  /** {@code rows} examples of {@code width} pixels packed row after row in {@code pixels} (taken, not copied). */
  public PixelBlock(byte[] pixels, int rows, int width) {
    if (pixels.length != rows * width) {
      throw new IllegalArgumentException(
          pixels.length + " bytes are not " + rows + " rows of " + width);
    }
    this.pixels = pixels;
    this.rows = rows;
    this.width = width;
  }

  /**
   * Examples in order, packed into blocks of at most {@code chunkBytes} of pixels (at least one example each), as
   * they are asked for: a long stream is never held whole. Every example must have the first one's size.
   */
  public static Iterator<PixelBlock> chunks(Iterator<byte[]> examples, long chunkBytes) {
    return new Iterator<>() {
      @Override
      public boolean hasNext() {
        return examples.hasNext();
      }

      @Override
      public PixelBlock next() {
        byte[] first = examples.next();
        int width = first.length;
        int capacity =
            (int) Math.max(1, Math.min(chunkBytes / Math.max(1, width), Integer.MAX_VALUE / width));
        byte[] packed = new byte[capacity * width];
        System.arraycopy(first, 0, packed, 0, width);
        int rows = 1;
        while (rows < capacity && examples.hasNext()) {
          byte[] example = examples.next();
          Images.requireSize(example, width);
          System.arraycopy(example, 0, packed, rows * width, width);
          rows++;
        }
        return new PixelBlock(
            rows == capacity ? packed : Arrays.copyOf(packed, rows * width), rows, width);
      }
    };
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

  /** Minibatch {@code index} of size {@code batchSize} in the given order, as [n, pixels] floats in [0, 1]. */
  public INDArray batch(int[] order, int index, int batchSize) {
    float[] out = new float[rowsOf(index, batchSize) * width];
    int n = toUnitFloats(order, index, batchSize, out);
    return NativeArrays.floats(out, n * width, n, width);
  }

  /** Pixels per example (the dataset's rows x cols). */
  public int width() {
    return width;
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
      Images.toUnitFloats(pixels, order[from + r] * width, width, out, r * width);
    }
    return n;
  }
}
