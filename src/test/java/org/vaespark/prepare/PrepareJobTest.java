package org.vaespark.prepare;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.vaespark.config.Settings;
import org.vaespark.config.SettingsLoader;
import org.vaespark.dataset.MnistDataset;
import org.vaespark.error.InputFileException;
import org.vaespark.error.OutputExistsException;
import org.vaespark.io.Storage;
import org.vaespark.job.JobContext;
import org.vaespark.testing.SparkTestBase;
import org.vaespark.testing.TestData;

class PrepareJobTest extends SparkTestBase {
  @TempDir
  Path dir;

  private Settings settings(Path input, Path output, int shards) {
    return SettingsLoader.load(
        null,
        Map.of(
            "vae.paths.input", input.toString(),
            "vae.paths.output", output.toString(),
            "vae.prepare.shards", String.valueOf(shards)));
  }

  @Test
  void roundTripKeepsEveryPixelLabelAndIdWithTheDocumentedSchema() throws Exception {
    Path input = TestData.writeSample(dir.resolve("idx"), 60, 25, true);
    Settings settings = settings(input, dir.resolve("out"), 3);

    PrepareJob.Result result = new PrepareJob(JobContext.of(spark, settings)).run(false);

    assertThat(result.manifest().trainExamples()).isEqualTo(60);
    assertThat(result.manifest().testExamples()).isEqualTo(25);
    assertThat(result.manifest().fingerprint()).startsWith("sha256:").hasSize(71);
    Path dataset = dir.resolve("out/dataset");
    assertThat(dataset.resolve("_SUCCESS")).exists();
    assertThat(dataset.resolve("manifest.json")).exists();
    try (Stream<Path> shards = Files.list(dataset.resolve("train"))) {
      assertThat(shards.filter(p -> p.toString().endsWith(".parquet")).count()).isEqualTo(3);
    }

    Dataset<Row> train = dataset(settings).read(spark, MnistDataset.TRAIN);
    assertThat(train.schema())
        .isEqualTo(MnistDataset.SCHEMA.asNullable())
        .describedAs(train.schema().treeString());
    List<Row> rows = train.orderBy("id").collectAsList();
    byte[] pixels = TestData.pixels(60);
    byte[] labels = TestData.labels(60);
    for (int i = 0; i < 60; i++) {
      Row row = rows.get(i);
      assertThat(row.getLong(0)).isEqualTo(i);
      assertThat(row.getInt(1)).isEqualTo(labels[i]);
      assertThat(row.getString(2)).isEqualTo("train");
      assertThat((byte[]) row.get(3)).isEqualTo(Arrays.copyOfRange(pixels, i * 784, (i + 1) * 784));
    }
    List<Row> test =
        dataset(settings).read(spark, MnistDataset.TEST).orderBy("id").collectAsList();
    assertThat(test).hasSize(25);
    // Test ids continue after the train ids, like the canonical 70,000-image numbering.
    assertThat(test.get(0).getLong(0)).isEqualTo(60);
    assertThat(test.get(0).getString(2)).isEqualTo("test");
  }

  @Test
  void plainAndGzippedInputsGiveTheSameFingerprint() {
    Path gz = TestData.writeSample(dir.resolve("gz"), 20, 10, true);
    Path plain = TestData.writeSample(dir.resolve("plain"), 20, 10, false);
    String a = new PrepareJob(JobContext.of(spark, settings(gz, dir.resolve("a"), 1)))
        .run(false)
        .manifest()
        .fingerprint();
    String b = new PrepareJob(JobContext.of(spark, settings(plain, dir.resolve("b"), 1)))
        .run(false)
        .manifest()
        .fingerprint();
    assertThat(a).isEqualTo(b);
  }

  @Test
  void refusesToReplaceAnExistingDatasetUnlessAsked() {
    Path input = TestData.writeSample(dir.resolve("idx"), 20, 10, false);
    Settings settings = settings(input, dir.resolve("out"), 1);
    new PrepareJob(JobContext.of(spark, settings)).run(false);
    assertThatThrownBy(() -> new PrepareJob(JobContext.of(spark, settings)).run(false))
        .isInstanceOf(OutputExistsException.class)
        .hasMessageContaining("--overwrite");
    assertThat(
            new PrepareJob(JobContext.of(spark, settings)).run(true).manifest().trainExamples())
        .isEqualTo(20);
  }

  @Test
  void badInputLeavesNoDatasetBehind() throws Exception {
    Path input = TestData.writeSample(dir.resolve("idx"), 20, 10, false);
    TestData.writeLabels(input.resolve("t10k-labels-idx1-ubyte"), TestData.labels(9), false);
    Path out = dir.resolve("out");
    assertThatThrownBy(
            () -> new PrepareJob(JobContext.of(spark, settings(input, out, 1))).run(false))
        .isInstanceOf(InputFileException.class)
        .hasMessageContaining("holds 10 images but")
        .hasMessageContaining("t10k-labels-idx1-ubyte holds 9 labels");
    assertThat(out.resolve("dataset")).doesNotExist();
    if (Files.exists(out)) {
      try (Stream<Path> left = Files.list(out)) {
        assertThat(left).isEmpty();
      }
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"train", "t10k"})
  void aSplitWhoseFilesDeclareZeroExamplesIsRefused(String prefix) throws Exception {
    Path input = TestData.writeSample(dir.resolve("idx-empty-" + prefix), 20, 10, false);
    TestData.writeImages(input.resolve(prefix + "-images-idx3-ubyte"), new byte[0], 0, false);
    TestData.writeLabels(input.resolve(prefix + "-labels-idx1-ubyte"), new byte[0], false);
    Path out = dir.resolve("out-empty-" + prefix);
    assertThatThrownBy(
            () -> new PrepareJob(JobContext.of(spark, settings(input, out, 1))).run(false))
        .isInstanceOf(InputFileException.class)
        .hasMessageContaining(prefix + "-images-idx3-ubyte")
        .hasMessageContaining("declare 0 examples")
        .hasMessageContaining("split would be empty");
    assertThat(out.resolve("dataset")).doesNotExist();
  }

  @Test
  void missingInputFileIsNamed() {
    Path input = TestData.writeSample(dir.resolve("idx"), 20, 10, false);
    input.resolve("train-labels-idx1-ubyte").toFile().delete();
    assertThatThrownBy(() ->
            new PrepareJob(JobContext.of(spark, settings(input, dir.resolve("out"), 1))).run(false))
        .isInstanceOf(InputFileException.class)
        .hasMessageContaining("train-labels-idx1-ubyte: file not found");
  }

  @Test
  void refreshRewritesTheDatasetOnlyWhenTheInputFingerprintChanges() {
    Path input = TestData.writeSample(dir.resolve("idx"), 60, 25, false);
    Path out = dir.resolve("out");

    PrepareJob.Result first =
        new PrepareJob(JobContext.of(spark, settings(input, out, 2))).refresh();
    // The same digits, gzipped: the same decoded content, so the same fingerprint.
    Path sameDigits = TestData.writeSample(dir.resolve("idx-gz"), 60, 25, true);
    PrepareJob.Result unchanged =
        new PrepareJob(JobContext.of(spark, settings(sameDigits, out, 2))).refresh();
    Path moreDigits = TestData.writeSample(dir.resolve("idx-more"), 70, 25, false);
    PrepareJob.Result changed =
        new PrepareJob(JobContext.of(spark, settings(moreDigits, out, 2))).refresh();

    assertThat(first.written()).isTrue();
    assertThat(unchanged.written()).isFalse();
    assertThat(unchanged.manifest()).isEqualTo(first.manifest());
    assertThat(changed.written()).isTrue();
    assertThat(changed.manifest().fingerprint()).isNotEqualTo(first.manifest().fingerprint());
    assertThat(MnistDataset.open(
                new Storage(spark.sparkContext().hadoopConfiguration()),
                out.resolve("dataset").toString())
            .manifest()
            .trainExamples())
        .isEqualTo(70);
  }

  private static MnistDataset dataset(Settings settings) {
    return MnistDataset.open(
        new Storage(spark.sparkContext().hadoopConfiguration()),
        settings.paths().dataset());
  }
}
