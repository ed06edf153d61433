package org.vaespark.dataset;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.vaespark.runtime.NativeArrays;

/** Pixel rows to [n, 784] float matrices, on the driver or as cached minibatches on the executors. */
public final class Minibatches {
  private Minibatches() {}

  /** A split of a published dataset as cached minibatches on the executors; the caller unpersists them. */
  public static JavaRDD<INDArray> cached(
      SparkSession spark, MnistDataset dataset, String split, int batchSize) {
    JavaRDD<INDArray> batches = pixels(dataset.read(spark, split))
        .mapPartitions(pixels -> featureBatches(pixels, batchSize).iterator());
    return batches.setName(split + " minibatches").persist(StorageLevel.MEMORY_AND_DISK_SER());
  }

  /** The pixel column of a split, as an RDD of byte arrays. */
  public static JavaRDD<byte[]> pixels(Dataset<Row> split) {
    return split.select("pixels").javaRDD().map(row -> (byte[]) row.get(0));
  }

  /** Pixel rows (784 bytes each) to an [n, 784] float matrix in [0, 1]. */
  public static INDArray features(List<byte[]> pixels) {
    float[] buffer = new float[pixels.size() * Images.PIXELS];
    for (int i = 0; i < pixels.size(); i++) {
      Images.toUnitFloats(pixels.get(i), buffer, i * Images.PIXELS);
    }
    return matrix(buffer, pixels.size());
  }

  /** Minibatches of {@code batchSize} rows as [n, 784] float matrices; the last may be smaller. */
  public static List<INDArray> featureBatches(Iterator<byte[]> pixels, int batchSize) {
    List<INDArray> batches = new ArrayList<>();
    float[] buffer = new float[batchSize * Images.PIXELS];
    int n = 0;
    while (pixels.hasNext()) {
      Images.toUnitFloats(pixels.next(), buffer, n * Images.PIXELS);
      if (++n == batchSize) {
        batches.add(matrix(buffer, n));
        n = 0;
      }
    }
    if (n > 0) {
      batches.add(matrix(buffer, n));
    }
    return batches;
  }

  private static INDArray matrix(float[] buffer, int rows) {
    return NativeArrays.floats(buffer, rows * Images.PIXELS, rows, Images.PIXELS);
  }
}
