package org.vaespark.source;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vaespark.config.Settings;
import org.vaespark.dataset.MnistDataset;
import org.vaespark.error.InputFileException;
import org.vaespark.io.Storage;
import org.vaespark.testing.SparkTestBase;
import org.vaespark.testing.TestData;
import org.vaespark.testing.TestImages;

/** A folder tree of image files as a dataset: labels from subfolders, splits by folder or hash, clear errors. */
class ImageFolderSourceTest extends SparkTestBase {
  private static final String[] NAMES = {
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"
  };

  /**
   * Where jobs that fail write: a task of the failed job may still be writing when its test ends, so this folder is
   * removed only after the class's Spark session has stopped.
   */
  @TempDir
  static Path failedOutputs;

  @TempDir
  Path dir;

  private static Settings.PrepareSettings settings(String size, String labels) {
    String[] hw = size.split("x");
    return new Settings.PrepareSettings(
        2,
        Settings.PrepareSettings.AUTO,
        Integer.parseInt(hw[0]),
        Integer.parseInt(hw[1]),
        0.25,
        labels,
        new Settings.ParquetColumns("image", "label", ""));
  }

  private ImageFolderSource source(Path input, Settings.PrepareSettings settings) {
    return new ImageFolderSource(
        spark, new Storage(spark.sparkContext().hadoopConfiguration()), input.toString(), settings);
  }

  /** {@code n} sample digits as PNG files in one subfolder per label, named after the digit's word. */
  private Path digitsByLabel(String name, int n) {
    Path root = dir.resolve(name);
    byte[] labels = TestData.labels(n);
    for (int i = 0; i < n; i++) {
      TestImages.write(
          root.resolve(NAMES[labels[i]]).resolve(String.format("%04d.png", i)), TestImages.png(i));
    }
    return root;
  }

  private List<Row> rows(Path folder, String split) {
    return spark.read().parquet(folder.resolve(split).toString()).orderBy("id").collectAsList();
  }

  @Test
  void subfoldersPerLabelGiveTheLabelIndexAndTheOriginalPixels() {
    int n = 120;
    Path input = digitsByLabel("by-label", n);
    Path out = dir.resolve("out");

    SourceSummary summary = source(input, settings("28x28", "auto"))
        .write(new org.apache.hadoop.fs.Path(out.toString()));

    List<String> sorted = Arrays.stream(NAMES).sorted().toList();
    assertThat(summary.kind()).isEqualTo("image-folder");
    assertThat(summary.labels()).isEqualTo(sorted);
    assertThat(summary.trainExamples() + summary.testExamples()).isEqualTo(n);
    assertThat(summary.testExamples()).isBetween(10L, 50L);
    // Every digit is there once, lossless, with its label; ids are 0..n-1.
    Map<String, Integer> byPixels = new HashMap<>();
    for (int i = 0; i < n; i++) {
      byPixels.put(Arrays.toString(TestImages.digit(i)), i);
    }
    byte[] labels = TestData.labels(n);
    List<Row> all = new java.util.ArrayList<>(rows(out, MnistDataset.TRAIN));
    all.addAll(rows(out, MnistDataset.TEST));
    assertThat(all.stream().map(r -> r.getLong(0)).sorted().toList())
        .isEqualTo(java.util.stream.LongStream.range(0, n).boxed().toList());
    for (Row row : all) {
      Integer index = byPixels.get(Arrays.toString((byte[]) row.get(3)));
      assertThat(index).as("pixels of row " + row.getLong(0)).isNotNull();
      assertThat(sorted.get(row.getInt(1))).isEqualTo(NAMES[labels[index]]);
    }
    assertThat(rows(out, MnistDataset.TEST)).allMatch(r -> r.getString(2).equals("test"));
    // The fingerprint does not depend on how Spark splits the scan.
    String before = summary.fingerprint();
    spark.conf().set("spark.sql.files.maxPartitionBytes", "2000");
    try {
      assertThat(source(input, settings("28x28", "auto")).scan().fingerprint()).isEqualTo(before);
    } finally {
      spark.conf().unset("spark.sql.files.maxPartitionBytes");
    }
  }

  @Test
  void trainAndTestFoldersAreTheSplitsAndNoSubfoldersMeansNoLabels() {
    Path root = dir.resolve("split");
    for (int i = 0; i < 30; i++) {
      TestImages.write(
          root.resolve(i < 20 ? "train" : "test").resolve(i + ".png"), TestImages.png(i));
    }
    Path out = dir.resolve("out-split");
    SourceSummary summary = source(root, settings("28x28", "auto"))
        .write(new org.apache.hadoop.fs.Path(out.toString()));
    assertThat(summary.trainExamples()).isEqualTo(20);
    assertThat(summary.testExamples()).isEqualTo(10);
    assertThat(summary.labels()).isEmpty();
    assertThat(rows(out, MnistDataset.TRAIN)).allMatch(r -> r.getInt(1) == -1);
  }

  @Test
  void imagesOfOtherSizesAndColoursAreMadeGrayAndResizedToTheDatasetsSize() {
    Path root = dir.resolve("sizes");
    for (int i = 0; i < 12; i++) {
      byte[] image = switch (i % 3) {
        case 0 -> TestImages.png(i);
        case 1 -> TestImages.encode(TestImages.colourScaled(i, 2), "png"); // 56 x 56 RGB
        default -> TestImages.encode(TestImages.colourScaled(i, 3), "bmp"); // 84 x 84 RGB
      };
      TestImages.write(root.resolve(i < 8 ? "train" : "test").resolve(i + ".img"), image);
    }
    Path out = dir.resolve("out-sizes");
    source(root, settings("28x28", "none")).write(new org.apache.hadoop.fs.Path(out.toString()));
    List<Row> rows = rows(out, MnistDataset.TRAIN);
    assertThat(rows).hasSize(8).allMatch(r -> ((byte[]) r.get(3)).length == 784);
    // A digit drawn at twice its size comes back close to the original.
    for (Row row : rows) {
      byte[] pixels = (byte[]) row.get(3);
      int best = Integer.MAX_VALUE;
      for (int i = 0; i < 12; i++) {
        best = Math.min(best, meanAbsoluteDifference(pixels, TestImages.digit(i)));
      }
      assertThat(best).as("row " + row.getLong(0)).isLessThan(12);
    }
  }

  @Test
  void aDatasetOf64x64() {
    Path root = digitsByLabel("big", 20);
    Path out = dir.resolve("out-64");
    source(root, settings("64x64", "subfolders"))
        .write(new org.apache.hadoop.fs.Path(out.toString()));
    assertThat(rows(out, MnistDataset.TRAIN)).allMatch(r -> ((byte[]) r.get(3)).length == 4096);
  }

  private static int meanAbsoluteDifference(byte[] a, byte[] b) {
    long sum = 0;
    for (int i = 0; i < a.length; i++) {
      sum += Math.abs((a[i] & 0xFF) - (b[i] & 0xFF));
    }
    return (int) (sum / a.length);
  }

  @Test
  void aNonImageFileIsNamed() {
    Path root = digitsByLabel("with-notes", 10);
    TestImages.write(
        root.resolve("three/notes.txt"), "not an image".getBytes(StandardCharsets.UTF_8));
    assertThatThrownBy(() -> source(root, settings("28x28", "auto")).scan())
        .isInstanceOf(InputFileException.class)
        .hasMessageContaining("three/notes.txt: not an image")
        .hasMessageContaining("remove it");
  }

  @Test
  void aCorruptPngIsNamed() {
    Path root = digitsByLabel("corrupt", 10);
    byte[] png = TestImages.png(3);
    TestImages.write(root.resolve("one/cut.png"), Arrays.copyOf(png, png.length / 2));
    assertThatThrownBy(() -> source(root, settings("28x28", "auto"))
            .write(new org.apache.hadoop.fs.Path(
                failedOutputs.resolve("out-corrupt").toString())))
        .isInstanceOf(InputFileException.class)
        .hasMessageContaining("one/cut.png: corrupt image");
  }

  @Test
  void aFileBesideTheLabelSubfoldersIsAMixedInput() {
    Path root = digitsByLabel("mixed", 10);
    TestImages.write(root.resolve("stray.png"), TestImages.png(0));
    assertThatThrownBy(() -> source(root, settings("28x28", "auto")))
        .isInstanceOf(InputFileException.class)
        .hasMessageContaining("stray.png: a file beside the label subfolders")
        .hasMessageContaining("mixed input");
  }

  @Test
  void theKindOfInputIsDetectedAndAMixedOneRefused() {
    Storage storage = new Storage(spark.sparkContext().hadoopConfiguration());
    Path images = digitsByLabel("detect", 4);
    assertThat(Sources.detect(storage, hadoop(images))).isEqualTo("image-folder");
    assertThat(Sources.detect(storage, hadoop(TestData.SAMPLE))).isEqualTo("idx");
    Path both = TestData.writeSample(dir.resolve("both"), 5, 5, false);
    TestImages.write(both.resolve("digits/a.png"), TestImages.png(0));
    assertThatThrownBy(() -> Sources.detect(storage, hadoop(both)))
        .isInstanceOf(InputFileException.class)
        .hasMessageContaining("holds more than one kind of input: idx (")
        .hasMessageContaining("image-folder (")
        .hasMessageContaining("a.png");
    TestImages.write(dir.resolve("empty/readme.txt"), "hello".getBytes(StandardCharsets.UTF_8));
    assertThatThrownBy(() -> Sources.detect(storage, hadoop(dir.resolve("empty"))))
        .isInstanceOf(InputFileException.class)
        .hasMessageContaining("holds no MNIST IDX files");
    assertThatThrownBy(() -> Sources.detect(storage, hadoop(dir.resolve("nowhere"))))
        .isInstanceOf(InputFileException.class)
        .hasMessageContaining("not found");
    TestImages.write(
        dir.resolve("published/" + MnistDataset.MANIFEST), "{}".getBytes(StandardCharsets.UTF_8));
    assertThatThrownBy(() -> Sources.detect(storage, hadoop(dir.resolve("published"))))
        .isInstanceOf(InputFileException.class)
        .hasMessageContaining("is a dataset this tool published")
        .hasMessageContaining("vae.score.source = dataset");
  }

  private static org.apache.hadoop.fs.Path hadoop(Path path) {
    return new org.apache.hadoop.fs.Path(path.toAbsolutePath().toString());
  }
}
