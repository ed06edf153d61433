package org.vaespark.dataset;

import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.vaespark.runtime.NativeArrays;

/**
 * Pixel rows to [n, pixels] float matrices (pixels = the dataset's image size, 784 for 28 x 28), on the driver or
 * as cached minibatches on the executors.
 */
public final class Minibatches {
  private Minibatches() {}

  /** A split of a published dataset as cached minibatches on the executors; the caller unpersists them. */
  public static JavaRDD<INDArray> cached(
      SparkSession spark, MnistDataset dataset, String split, int batchSize) {
    return cached(dataset.read(spark, split), split, dataset.manifest().pixels(), batchSize);
  }

  /**
   * Rows with a {@code pixels} column ({@code width} bytes each) as cached minibatches on the executors, named
   * {@code name} in the Spark UI; the caller unpersists them.
   */
  public static JavaRDD<INDArray> cached(
      Dataset<Row> examples, String name, int width, int batchSize) {
    JavaRDD<INDArray> batches =
        pixels(examples).mapPartitions(pixels -> featureBatchIterator(pixels, batchSize, width));
    // On disk only: Spark writes the batches through its serializer straight to disk as they come.
    // Kept in memory (MEMORY_AND_DISK_SER), each task first unrolled up to about 900 MB of them on
    // the heap, which ran a 2g heap out of memory on 1.4 million held-out images; a small split's
    // file stays in the OS's page cache, so reading it every epoch costs little.
    return batches.setName(name + " minibatches").persist(StorageLevel.DISK_ONLY());
  }

  /** The pixel column of a split, as an RDD of byte arrays. */
  public static JavaRDD<byte[]> pixels(Dataset<Row> split) {
    return split.select("pixels").javaRDD().map(row -> (byte[]) row.get(0));
  }

  /** Pixel rows (of one size, 784 bytes each for 28 x 28) to an [n, pixels] float matrix in [0, 1]. */
  public static INDArray features(List<byte[]> pixels) {
    int width = pixels.isEmpty() ? Images.PIXELS : pixels.get(0).length;
    float[] buffer = new float[pixels.size() * width];
    for (int i = 0; i < pixels.size(); i++) {
      Images.requireSize(pixels.get(i), width);
      Images.toUnitFloats(pixels.get(i), buffer, i * width);
    }
    return matrix(buffer, pixels.size(), width);
  }

  /**
   * Minibatches of {@code batchSize} rows of {@code width} pixels as [n, width] float matrices (the last may be
   * smaller), built one at a time as they are asked for, so that a partition of any size is never held whole.
   */
  public static Iterator<INDArray> featureBatchIterator(
      Iterator<byte[]> pixels, int batchSize, int width) {
    return new Iterator<>() {
      private final float[] buffer = new float[batchSize * width];

      @Override
      public boolean hasNext() {
        return pixels.hasNext();
      }

      @Override
      public INDArray next() {
        int n = 0;
        while (n < batchSize && pixels.hasNext()) {
          byte[] example = pixels.next();
          Images.requireSize(example, width);
          Images.toUnitFloats(example, buffer, n * width);
          n++;
        }
        return matrix(buffer, n, width);
      }
    };
  }

  private static INDArray matrix(float[] buffer, int rows, int width) {
    return NativeArrays.floats(buffer, rows * width, rows, width);
  }
}
