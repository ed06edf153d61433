package org.vaespark.io;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The Parquet layout written by {@code prepare} and read by {@code train} and {@code generate}.
 *
 * <pre>
 * &lt;dataset&gt;/_SUCCESS, manifest.json
 * &lt;dataset&gt;/train/part-*.parquet     id: long, label: int, split: string, pixels: binary (784 bytes)
 * &lt;dataset&gt;/test/part-*.parquet
 * </pre>
 *
 * Pixels are the original 8-bit MNIST intensities, row-major, one byte each: lossless, 4x smaller than floats,
 * and decoded to [0, 1] floats only when minibatches are built on the executors.
 */
public final class MnistDataset {
  public static final String TRAIN = "train";
  public static final String TEST = "test";
  public static final String MANIFEST = "manifest.json";
  public static final StructType SCHEMA =
      new StructType(
          new StructField[] {
            DataTypes.createStructField("id", DataTypes.LongType, false),
            DataTypes.createStructField("label", DataTypes.IntegerType, false),
            DataTypes.createStructField("split", DataTypes.StringType, false),
            DataTypes.createStructField("pixels", DataTypes.BinaryType, false)
          });

  private MnistDataset() {}

  /** Written next to the splits by {@code prepare}; {@code train} copies it into model metadata. */
  public record Manifest(
      String source, String fingerprint, long trainExamples, long testExamples, int rows, int cols) {}

  public static Path splitPath(String datasetRoot, String split) {
    return new Path(datasetRoot, split);
  }

  public static Manifest readManifest(Storage storage, String datasetRoot) {
    storage.requirePublished(new Path(datasetRoot), "dataset", "prepare");
    Path manifest = new Path(datasetRoot, MANIFEST);
    return Json.parse(storage.readString(manifest), Manifest.class, manifest.toString());
  }

  /** Reads one split and checks its schema and that it has rows. */
  public static Dataset<Row> read(SparkSession spark, String datasetRoot, String split) {
    Path path = splitPath(datasetRoot, split);
    Dataset<Row> df;
    try {
      df = spark.read().parquet(path.toString());
    } catch (Exception e) {
      // Spark throws AnalysisException (a checked exception Java cannot name here) for a missing path, and
      // SparkException when a shard's footer, read for the schema, is damaged.
      String reason = e instanceof org.apache.spark.sql.AnalysisException analysis
          ? analysis.getSimpleMessage() : String.valueOf(e.getMessage()).lines().findFirst().orElse("");
      throw new InputFileException(
          "dataset split '" + split + "' cannot be read at " + path + ": " + reason + " (run 'prepare' again)", e);
    }
    checkSchema(df.schema(), path);
    long rows = count(df, split, path);
    if (rows == 0) {
      throw new InputFileException("dataset split '" + split + "' at " + path + " has no rows");
    }
    Manifest manifest = readManifest(new Storage(spark.sparkContext().hadoopConfiguration()), datasetRoot);
    long expected = TRAIN.equals(split) ? manifest.trainExamples() : manifest.testExamples();
    if (rows != expected) {
      throw new InputFileException("dataset split '" + split + "' at " + path + " holds " + rows + " examples, but "
          + new Path(datasetRoot, MANIFEST) + " says " + expected + ": a shard is missing or was changed after "
          + "'prepare'; run 'prepare' again");
    }
    return df;
  }

  /** The rows of a split; a shard Parquet cannot read is named as damaged. */
  private static long count(Dataset<Row> df, String split, Path path) {
    try {
      return df.count();
    } catch (Exception e) { // SparkException is checked in Java's eyes
      Throwable root = e;
      while (root.getCause() != null && root.getCause() != root) {
        root = root.getCause();
      }
      throw new InputFileException("dataset split '" + split + "' at " + path + " cannot be read: "
          + String.valueOf(root.getMessage()).lines().findFirst().orElse(root.getClass().getSimpleName())
          + "; a shard is damaged: run 'prepare' again", e);
    }
  }

  static void checkSchema(StructType actual, Path path) {
    for (StructField expected : SCHEMA.fields()) {
      int index = actual.getFieldIndex(expected.name()).getOrElse(() -> -1);
      if (index < 0) {
        throw new InputFileException(
            path + ": column '" + expected.name() + "' is missing; expected schema " + SCHEMA.simpleString());
      }
      DataType type = actual.fields()[index].dataType();
      if (!type.equals(expected.dataType())) {
        throw new InputFileException(
            path + ": column '" + expected.name() + "' has type " + type.simpleString() + ", expected "
                + expected.dataType().simpleString());
      }
    }
  }

  /** Pixel bytes to a float row vector in [0, 1]. */
  public static void toUnitFloats(byte[] pixels, float[] out, int offset) {
    if (pixels.length != IdxReader.PIXELS) {
      throw new InputFileException("an example has " + pixels.length + " pixel bytes, expected " + IdxReader.PIXELS);
    }
    toUnitFloats(pixels, 0, out, offset);
  }

  /** The example of 784 bytes at {@code from} in {@code pixels} to floats in [0, 1] at {@code offset} in {@code out}. */
  public static void toUnitFloats(byte[] pixels, int from, float[] out, int offset) {
    for (int i = 0; i < IdxReader.PIXELS; i++) {
      out[offset + i] = (pixels[from + i] & 0xFF) / 255f;
    }
  }

  /** Pixel rows (784 bytes each) to an [n, 784] float matrix in [0, 1]. */
  public static INDArray features(List<byte[]> pixels) {
    float[] buffer = new float[pixels.size() * IdxReader.PIXELS];
    for (int i = 0; i < pixels.size(); i++) {
      toUnitFloats(pixels.get(i), buffer, i * IdxReader.PIXELS);
    }
    return matrix(buffer, pixels.size());
  }

  /** A float vector as the boxed array Spark's {@code array<float>} columns take. */
  public static Float[] boxed(float[] values) {
    Float[] out = new Float[values.length];
    for (int i = 0; i < values.length; i++) {
      out[i] = values[i];
    }
    return out;
  }

  /** Minibatches of {@code batchSize} rows as [n, 784] float matrices; the last may be smaller. */
  public static List<INDArray> featureBatches(Iterator<byte[]> pixels, int batchSize) {
    List<INDArray> batches = new ArrayList<>();
    float[] buffer = new float[batchSize * IdxReader.PIXELS];
    int n = 0;
    while (pixels.hasNext()) {
      toUnitFloats(pixels.next(), buffer, n * IdxReader.PIXELS);
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
    float[] data = buffer.length == rows * IdxReader.PIXELS ? buffer : java.util.Arrays.copyOf(buffer, rows * IdxReader.PIXELS);
    return Nd4j.create(data, new long[] {rows, IdxReader.PIXELS}, org.nd4j.linalg.api.buffer.DataType.FLOAT);
  }

  /** The pixel column of a split, as an RDD of byte arrays. */
  public static JavaRDD<byte[]> pixels(Dataset<Row> split) {
    return split.select("pixels").javaRDD().map(row -> (byte[]) row.get(0));
  }
}
