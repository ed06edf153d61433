package org.vaespark.source;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.input_file_name;
import static org.apache.spark.sql.functions.lit;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.AnalysisException;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.IntegralType;
import org.apache.spark.sql.types.StringType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vaespark.config.Settings;
import org.vaespark.dataset.Images;
import org.vaespark.dataset.MnistDataset;
import org.vaespark.error.InputFileException;
import org.vaespark.io.Storage;

/**
 * Any Parquet table with an image column, read by Spark on the executors. The image column is binary (an encoded
 * image, or raw 8-bit grayscale pixels), an array of numbers (integers 0..255 or floating-point intensities in
 * [0, 1]) or the struct of Spark's image data source; the optional label column holds integers >= 0 (kept as they
 * are) or strings (sorted distinct values become labels 0, 1, ..., recorded in the manifest); the optional split
 * column holds "train" or "test". The driver checks the columns and their types before any task runs.
 */
final class ParquetSource implements Source {
  static final String KIND = "parquet";
  /** More distinct string labels than this is not a label column (an id, a file name). */
  static final int MAX_LABELS = 100_000;

  private static final Logger LOG = LoggerFactory.getLogger(ParquetSource.class);

  private final ImageRows rows;
  private final Dataset<Row> table;
  private final Dataset<Row> selected;
  private final ImageRows.Decoder decoder;

  /** The input at the dataset's image size ({@code vae.prepare.image-size}). */
  ParquetSource(
      SparkSession spark, Storage storage, String input, Settings.PrepareSettings settings) {
    this(
        spark,
        storage,
        input,
        settings,
        new Images.Shape(settings.imageRows(), settings.imageCols()));
  }

  ParquetSource(
      SparkSession spark,
      Storage storage,
      String input,
      Settings.PrepareSettings settings,
      Images.Shape shape) {
    Settings.ParquetColumns columns = settings.parquet();
    this.table = read(spark, input);
    DataType imageType = column(columns.image(), "vae.prepare.parquet.image-column", input);
    ImageColumn.kind(imageType, columns.image(), input);
    Column label = lit(-1);
    List<String> labels = List.of();
    Map<String, Integer> labelIndex = null;
    if (!columns.label().isEmpty()) {
      DataType labelType = column(columns.label(), "vae.prepare.parquet.label-column", input);
      if (labelType instanceof StringType) {
        labels = distinctLabels(columns.label(), input);
        labelIndex = new HashMap<>();
        for (int i = 0; i < labels.size(); i++) {
          labelIndex.put(labels.get(i), i);
        }
      } else if (labelType instanceof IntegralType) {
        labels = null;
      } else {
        throw new InputFileException(input + ": label column '" + columns.label() + "' has type "
            + labelType.simpleString() + ": expected integers or strings");
      }
      label = col(columns.label());
    }
    Column split = lit(null).cast(DataTypes.StringType);
    if (!columns.split().isEmpty()) {
      DataType splitType = column(columns.split(), "vae.prepare.parquet.split-column", input);
      if (!(splitType instanceof StringType)) {
        throw new InputFileException(input + ": split column '" + columns.split() + "' has type "
            + splitType.simpleString() + ": expected strings 'train' or 'test'");
      }
      split = col(columns.split());
    }
    this.selected = table.select(input_file_name(), col(columns.image()), label, split);
    this.rows = new ImageRows(spark, storage, KIND, shape, labels, settings.testFraction());
    this.decoder =
        new TableDecoder(columns.image(), columns.label(), columns.split(), labelIndex, shape);
    LOG.info(
        "Reading Parquet table {}: images from '{}' ({}), {}, {} at {}",
        input,
        columns.image(),
        imageType.simpleString(),
        columns.label().isEmpty() ? "no labels" : "labels from '" + columns.label() + "'",
        columns.split().isEmpty() ? "split by hash" : "split from '" + columns.split() + "'",
        shape);
  }

  @Override
  public SourceSummary scan() {
    return rows.scan(input(), positions(), decoder);
  }

  @Override
  public SourceSummary write(Path folder) {
    return rows.write(input(), positions(), decoder, folder);
  }

  @Override
  public Dataset<Row> examples() {
    return rows.examples(input(), positions(), decoder);
  }

  private JavaRDD<Row> input() {
    return selected.javaRDD();
  }

  /** The same partitions, reading no column (Parquet counts rows from its footers). */
  private JavaRDD<Row> positions() {
    return table.select(lit(1)).javaRDD();
  }

  private static Dataset<Row> read(SparkSession spark, String input) {
    try {
      return spark.read().parquet(input);
    } catch (Exception e) { // AnalysisException is checked in Java's eyes
      String reason = e instanceof AnalysisException analysis
          ? analysis.getSimpleMessage()
          : String.valueOf(e.getMessage()).lines().findFirst().orElse("");
      throw new InputFileException(input + ": not a readable Parquet table (" + reason + ")", e);
    }
  }

  private DataType column(String name, String setting, String input) {
    for (org.apache.spark.sql.types.StructField field : table.schema().fields()) {
      if (field.name().equals(name)) {
        return field.dataType();
      }
    }
    throw new InputFileException(input + ": column '" + name + "' not found (the table has "
        + Arrays.toString(table.columns()) + "): set " + setting
        + (setting.endsWith("image-column") ? "" : " (\"\" for none)"));
  }

  private List<String> distinctLabels(String name, String input) {
    List<Row> distinct = TaskFailures.run(
        () -> table.select(col(name)).distinct().limit(MAX_LABELS + 1).collectAsList());
    if (distinct.size() > MAX_LABELS) {
      throw new InputFileException(
          input + ": label column '" + name + "' holds more than " + MAX_LABELS
              + " distinct values: it is not a label column; set vae.prepare.parquet.label-column");
    }
    List<String> labels = new ArrayList<>();
    for (Row row : distinct) {
      if (!row.isNullAt(0)) {
        labels.add(row.getString(0));
      }
    }
    labels.sort(null);
    return labels;
  }

  /** On an executor: one table row (file, image, label, split) to an example. */
  private static final class TableDecoder implements ImageRows.Decoder {
    private static final long serialVersionUID = 1L;
    private final String image;
    private final String label;
    private final String split;
    private final Map<String, Integer> labelIndex;
    private final Images.Shape shape;

    TableDecoder(
        String image,
        String label,
        String split,
        Map<String, Integer> labelIndex,
        Images.Shape shape) {
      this.image = image;
      this.label = label;
      this.split = split;
      this.labelIndex = labelIndex;
      this.shape = shape;
    }

    @Override
    public ImageRows.Example decode(Row row) {
      String file = row.isNullAt(0) ? "(unknown file)" : row.getString(0);
      if (row.isNullAt(1)) {
        throw new InputFileException(
            file + ": a row has no image (null in column '" + image + "')");
      }
      byte[] pixels = ImageColumn.pixels(row, 1, shape, file, "a row's column '" + image + "'");
      return new ImageRows.Example(pixels, label(row, file), split(row, file));
    }

    private int label(Row row, String file) {
      if (label.isEmpty()) {
        return -1;
      }
      if (row.isNullAt(2)) {
        throw new InputFileException(file + ": a row has no label (null in column '" + label
            + "'): every row needs one, or set vae.prepare.parquet.label-column = \"\"");
      }
      Object value = row.get(2);
      if (labelIndex != null) {
        return labelIndex.get((String) value);
      }
      long number = ((Number) value).longValue();
      if (number < 0 || number > Integer.MAX_VALUE) {
        throw new InputFileException(file + ": label " + number + " in column '" + label
            + "' is out of range: integer labels must be in 0.." + Integer.MAX_VALUE);
      }
      return (int) number;
    }

    private String split(Row row, String file) {
      if (split.isEmpty()) {
        return null;
      }
      String value = row.isNullAt(3) ? null : row.getString(3).trim().toLowerCase(Locale.ROOT);
      if (MnistDataset.TRAIN.equals(value) || MnistDataset.TEST.equals(value)) {
        return value;
      }
      throw new InputFileException(file + ": split column '" + split + "' holds "
          + (value == null ? "null" : "'" + row.getString(3) + "'")
          + ": expected 'train' or 'test'");
    }
  }
}
