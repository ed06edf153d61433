package org.vaespark.dataset;

import java.util.List;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.AnalysisException;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.vaespark.error.InputFileException;
import org.vaespark.io.Json;
import org.vaespark.io.Storage;

/**
 * The Parquet layout written by {@code prepare} and read by {@code train} and {@code generate}.
 *
 * <pre>
 * &lt;dataset&gt;/_SUCCESS, manifest.json
 * &lt;dataset&gt;/train/part-*.parquet     id: long, label: int, split: string, pixels: binary (rows x cols bytes)
 * &lt;dataset&gt;/test/part-*.parquet
 * </pre>
 *
 * Pixels are 8-bit grayscale intensities (for IDX input the original bytes), row-major, one byte each: lossless,
 * 4x smaller than floats, and decoded to [0, 1] floats only when minibatches are built on the executors. The image
 * size is the manifest's {@code rows} x {@code cols}.
 */
public final class MnistDataset {
  public static final String TRAIN = "train";
  public static final String TEST = "test";
  public static final String MANIFEST = "manifest.json";
  public static final StructType SCHEMA = new StructType(new StructField[] {
    DataTypes.createStructField("id", DataTypes.LongType, false),
    DataTypes.createStructField("label", DataTypes.IntegerType, false),
    DataTypes.createStructField("split", DataTypes.StringType, false),
    DataTypes.createStructField("pixels", DataTypes.BinaryType, false)
  });

  private final String root;
  private final Manifest manifest;

  private MnistDataset(String root, Manifest manifest) {
    this.root = root;
    this.manifest = manifest;
  }

  /**
   * Written next to the splits by {@code prepare}; {@code train} copies it into model metadata. {@code rows} x
   * {@code cols} is the size of every image; {@code inputKind} what {@code prepare} read (idx, image-folder,
   * parquet; absent in manifests of earlier versions, which read IDX files); {@code labels} the label index: null
   * when labels are the input's own integers (IDX digits), else label i is the class named {@code labels[i]},
   * and an empty list means unlabelled data (every label is -1).
   */
  public record Manifest(
      String source,
      String fingerprint,
      long trainExamples,
      long testExamples,
      int rows,
      int cols,
      String inputKind,
      List<String> labels) {
    /** A manifest of IDX input, whose labels are the digits themselves. */
    public Manifest(
        String source,
        String fingerprint,
        long trainExamples,
        long testExamples,
        int rows,
        int cols) {
      this(source, fingerprint, trainExamples, testExamples, rows, cols, "idx", null);
    }

    /** Pixels per example. */
    public int pixels() {
      return rows * cols;
    }

    /** The size of every image. */
    public Images.Shape shape() {
      return new Images.Shape(rows, cols);
    }

    long examples(String split) {
      return TRAIN.equals(split) ? trainExamples : testExamples;
    }
  }

  /** The published dataset at {@code root}: fails unless it has {@code _SUCCESS}; reads its manifest once. */
  public static MnistDataset open(Storage storage, String root) {
    storage.requirePublished(new Path(root), "dataset", "prepare");
    Path manifest = new Path(root, MANIFEST);
    return new MnistDataset(
        root, Json.parse(storage.readString(manifest), Manifest.class, manifest.toString()));
  }

  public String root() {
    return root;
  }

  public Manifest manifest() {
    return manifest;
  }

  /**
   * Reads one split and checks it: its schema, that it has rows, and that it holds as many as the manifest says
   * (a shard removed or damaged after {@code prepare} is named).
   */
  public Dataset<Row> read(SparkSession spark, String split) {
    Path path = new Path(root, split);
    Dataset<Row> df;
    try {
      df = spark.read().parquet(path.toString());
    } catch (Exception e) {
      // Spark throws AnalysisException (a checked exception Java cannot name here) for a missing
      // path, and SparkException when a shard's footer, read for the schema, is damaged.
      String reason = e instanceof AnalysisException analysis
          ? analysis.getSimpleMessage()
          : String.valueOf(e.getMessage()).lines().findFirst().orElse("");
      throw new InputFileException(
          "dataset split '" + split + "' cannot be read at " + path + ": " + reason
              + " (run 'prepare' again)",
          e);
    }
    checkSchema(df.schema(), path);
    long rows = count(df, split, path);
    if (rows == 0) {
      throw new InputFileException("dataset split '" + split + "' at " + path + " has no rows");
    }
    long expected = manifest.examples(split);
    if (rows != expected) {
      throw new InputFileException(
          "dataset split '" + split + "' at " + path + " holds " + rows + " examples, but "
              + new Path(root, MANIFEST) + " says " + expected
              + ": a shard is missing or was changed after 'prepare'; run 'prepare' again");
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
      throw new InputFileException(
          "dataset split '" + split + "' at " + path + " cannot be read: "
              + String.valueOf(root.getMessage())
                  .lines()
                  .findFirst()
                  .orElse(root.getClass().getSimpleName())
              + "; a shard is damaged: run 'prepare' again",
          e);
    }
  }

  static void checkSchema(StructType actual, Path path) {
    for (StructField expected : SCHEMA.fields()) {
      int index = actual.getFieldIndex(expected.name()).getOrElse(() -> -1);
      if (index < 0) {
        throw new InputFileException(path + ": column '" + expected.name()
            + "' is missing; expected schema " + SCHEMA.simpleString());
      }
      DataType type = actual.fields()[index].dataType();
      if (!type.equals(expected.dataType())) {
        throw new InputFileException(path + ": column '" + expected.name() + "' has type "
            + type.simpleString() + ", expected " + expected.dataType().simpleString());
      }
    }
  }
}
