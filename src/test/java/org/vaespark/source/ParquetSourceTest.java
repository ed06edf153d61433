package org.vaespark.source;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.IntFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vaespark.config.Settings;
import org.vaespark.dataset.MnistDataset;
import org.vaespark.error.InputFileException;
import org.vaespark.io.Storage;
import org.vaespark.testing.SparkTestBase;
import org.vaespark.testing.TestData;
import org.vaespark.testing.TestImages;

/** Any Parquet table with an image column: each supported column type gives the same dataset; bad ones are named. */
class ParquetSourceTest extends SparkTestBase {
  private static final int N = 60;

  @TempDir
  Path dir;

  private static Settings.PrepareSettings settings(String label, String split) {
    return new Settings.PrepareSettings(
        2,
        Settings.PrepareSettings.AUTO,
        28,
        28,
        0.25,
        Settings.PrepareSettings.AUTO,
        new Settings.ParquetColumns("image", label, split));
  }

  private ParquetSource source(Path table, Settings.PrepareSettings settings) {
    return new ParquetSource(
        spark, new Storage(spark.sparkContext().hadoopConfiguration()), table.toString(), settings);
  }

  /** A table of the first {@link #N} sample digits: image column of {@code type}, built by {@code image}. */
  private Path table(String name, DataType type, IntFunction<Object> image, DataType labelType) {
    StructType schema = new StructType()
        .add("image", type, true)
        .add("label", labelType, true)
        .add("split", DataTypes.StringType, true);
    byte[] labels = TestData.labels(N);
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < N; i++) {
      Object label =
          labelType.equals(DataTypes.StringType) ? "digit " + labels[i] : (long) labels[i];
      rows.add(RowFactory.create(image.apply(i), label, i < 45 ? "train" : "test"));
    }
    Path table = dir.resolve(name);
    spark.createDataFrame(rows, schema).repartition(3).write().parquet(table.toString());
    return table;
  }

  private List<Row> written(SourceSummary summary, Path out) {
    List<Row> rows = new ArrayList<>();
    for (String split : List.of(MnistDataset.TRAIN, MnistDataset.TEST)) {
      rows.addAll(spark.read().parquet(out.resolve(split).toString()).collectAsList());
    }
    assertThat(rows).hasSize((int) (summary.trainExamples() + summary.testExamples()));
    return rows;
  }

  /** Every written row is one of the sample digits, with its label. */
  private void assertSampleDigits(List<Row> rows, boolean stringLabels) {
    byte[] labels = TestData.labels(N);
    List<String> digits = new ArrayList<>();
    for (int i = 0; i < N; i++) {
      digits.add(Arrays.toString(TestImages.digit(i)));
    }
    assertThat(rows).hasSize(N);
    for (Row row : rows) {
      int index = digits.indexOf(Arrays.toString((byte[]) row.get(3)));
      assertThat(index).as("row " + row.getLong(0) + " is a sample digit").isNotNegative();
      int expected = labels[index];
      // String labels "digit 0" .. "digit 9" sort like the digits: the index is the digit.
      assertThat(row.getInt(1)).isEqualTo(expected);
    }
  }

  private SourceSummary prepare(Path table, Settings.PrepareSettings settings, Path out) {
    return source(table, settings).write(new org.apache.hadoop.fs.Path(out.toString()));
  }

  @Test
  void rawBytesWithIntegerLabels() {
    Path table = table("raw", DataTypes.BinaryType, TestImages::digit, DataTypes.LongType);
    Path out = dir.resolve("out-raw");
    SourceSummary summary = prepare(table, settings("label", ""), out);
    assertThat(summary.labels()).isNull();
    assertSampleDigits(written(summary, out), false);
    assertThat(summary.fingerprint())
        .isEqualTo(source(table, settings("label", "")).scan().fingerprint());
  }

  @Test
  void encodedImagesWithStringLabelsAndASplitColumn() {
    Path table = table("png", DataTypes.BinaryType, TestImages::png, DataTypes.StringType);
    Path out = dir.resolve("out-png");
    SourceSummary summary = prepare(table, settings("label", "split"), out);
    assertThat(summary.labels())
        .containsExactly(
            "digit 0", "digit 1", "digit 2", "digit 3", "digit 4", "digit 5", "digit 6", "digit 7",
            "digit 8", "digit 9");
    assertThat(summary.trainExamples()).isEqualTo(45);
    assertThat(summary.testExamples()).isEqualTo(15);
    assertSampleDigits(written(summary, out), true);
  }

  @Test
  void arraysOfIntegersAndOfUnitFloats() {
    Path ints = table(
        "ints",
        DataTypes.createArrayType(DataTypes.IntegerType),
        i -> {
          byte[] digit = TestImages.digit(i);
          Integer[] values = new Integer[digit.length];
          for (int p = 0; p < digit.length; p++) {
            values[p] = digit[p] & 0xFF;
          }
          return values;
        },
        DataTypes.LongType);
    Path floats = table(
        "floats",
        DataTypes.createArrayType(DataTypes.DoubleType),
        i -> {
          byte[] digit = TestImages.digit(i);
          Double[] values = new Double[digit.length];
          for (int p = 0; p < digit.length; p++) {
            values[p] = (digit[p] & 0xFF) / 255.0;
          }
          return values;
        },
        DataTypes.LongType);
    SourceSummary a = prepare(ints, settings("label", ""), dir.resolve("out-ints"));
    SourceSummary b = prepare(floats, settings("label", ""), dir.resolve("out-floats"));
    assertSampleDigits(written(a, dir.resolve("out-ints")), false);
    assertSampleDigits(written(b, dir.resolve("out-floats")), false);
    // The same images and labels: the same fingerprint, whatever the column's type.
    assertThat(a.fingerprint()).isEqualTo(b.fingerprint());
  }

  @Test
  void theStructOfSparksImageSourceWithoutLabels() {
    Path folder = dir.resolve("pngs");
    for (int i = 0; i < N; i++) {
      TestImages.write(folder.resolve(i + ".png"), TestImages.png(i));
    }
    Path table = dir.resolve("image-structs");
    spark.read().format("image").load(folder.toString()).write().parquet(table.toString());
    Path out = dir.resolve("out-structs");
    SourceSummary summary = prepare(table, settings("", ""), out);
    assertThat(summary.labels()).isEmpty();
    List<Row> rows = written(summary, out);
    assertThat(rows).allMatch(r -> r.getInt(1) == -1);
    List<String> digits = new ArrayList<>();
    for (int i = 0; i < N; i++) {
      digits.add(Arrays.toString(TestImages.digit(i)));
    }
    assertThat(rows).allMatch(r -> digits.contains(Arrays.toString((byte[]) r.get(3))));
  }

  @Test
  void aMissingColumnIsNamedWithItsSetting() {
    Path table = table("no-label", DataTypes.BinaryType, TestImages::digit, DataTypes.LongType);
    assertThatThrownBy(() -> source(table, settings("class", "")))
        .isInstanceOf(InputFileException.class)
        .hasMessageContaining("column 'class' not found")
        .hasMessageContaining("vae.prepare.parquet.label-column");
  }

  @Test
  void anImageColumnOfAnUnsupportedTypeIsNamed() {
    Path table = table("strings", DataTypes.StringType, i -> "digit", DataTypes.LongType);
    assertThatThrownBy(() -> source(table, settings("label", "")))
        .isInstanceOf(InputFileException.class)
        .hasMessageContaining("image column 'image' has type string");
  }

  @Test
  void badValuesAreNamedWithTheirFile() {
    Path outOfRange = table(
        "out-of-range",
        DataTypes.createArrayType(DataTypes.IntegerType),
        i -> {
          Integer[] values = new Integer[784];
          Arrays.fill(values, i == 7 ? 300 : 5);
          return values;
        },
        DataTypes.LongType);
    assertThatThrownBy(() -> source(outOfRange, settings("label", "")).scan())
        .isInstanceOf(InputFileException.class)
        .hasMessageContaining("out-of-range/part-")
        .hasMessageContaining("holds 300 at index 0: integer intensities must be in 0..255");
    Path wrongLength =
        table("wrong-length", DataTypes.BinaryType, i -> new byte[1000], DataTypes.LongType);
    assertThatThrownBy(() -> source(wrongLength, settings("label", "")).scan())
        .isInstanceOf(InputFileException.class)
        .hasMessageContaining("holds 1000 values: neither an encoded image");
    assertThatThrownBy(() -> source(outOfRange, settings("label", "image")))
        .isInstanceOf(InputFileException.class)
        .hasMessageContaining("split column 'image' has type array<int>");
  }
}
