package org.vaespark.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataTypes;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import org.vaespark.testing.SparkTestBase;
import org.vaespark.testing.TestData;

/** {@code pipeline} through the real command line, on real digits, in local[2]. */
class PipelineEndToEndTest extends SparkTestBase {
  private static final int TRAIN = 300;
  private static final int TEST = 100;

  @TempDir static Path dir;
  private static Path out;
  private static int exitCode;
  private static String stdout;
  private static String stderr;

  @BeforeAll
  static void runPipeline() {
    Path input = TestData.writeSample(dir.resolve("idx"), TRAIN, TEST, true);
    out = dir.resolve("out");
    StringWriter o = new StringWriter();
    StringWriter e = new StringWriter();
    CommandLine cli = VaeCli.commandLine();
    cli.setOut(new PrintWriter(o));
    cli.setErr(new PrintWriter(e));
    exitCode = cli.execute("pipeline", "--input", input.toString(), "--output", out.toString(),
        "--set", "vae.training.epochs=2", "--set", "vae.training.batch-size-per-worker=32",
        "--set", "vae.prepare.shards=2", "--set", "vae.generate.samples=16", "--set", "vae.generate.reconstructions=8");
    stdout = o.toString();
    stderr = e.toString();
  }

  @Test
  void exitsCleanlyAndSummarisesWhereEachOutputWent() {
    assertThat(exitCode).as(stderr).isZero();
    assertThat(stdout).contains("dataset", "model", "final loss", "held-out negative ELBO", "samples", "embeddings", "plots");
    assertThat(stdout).contains(out.resolve("generated").toString());
  }

  @Test
  void everyOutputIsPublished() {
    for (String folder : new String[] {"dataset", "model", "generated", "generated/samples", "generated/embeddings"}) {
      assertThat(out.resolve(folder).resolve("_SUCCESS")).as(folder).exists();
    }
    assertThat(out.resolve("model/model.zip")).exists();
    assertThat(out.resolve("model/metadata.json")).exists();
    assertThat(out.resolve("model/metrics.jsonl")).exists();
    try (Stream<Path> entries = java.nio.file.Files.list(out)) {
      assertThat(entries.map(p -> p.getFileName().toString())).as("no staging left").containsExactlyInAnyOrder("dataset", "model", "generated");
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @Test
  void embeddingsCoverEveryExampleWithTheDocumentedSchema() {
    Dataset<Row> embeddings = spark.read().parquet(out.resolve("generated/embeddings").toString());
    assertThat(embeddings.columns()).containsExactly("id", "label", "split", "model_version", "z_mean", "z_log_var");
    for (String vector : new String[] {"z_mean", "z_log_var"}) {
      assertThat(((ArrayType) embeddings.schema().apply(vector).dataType()).elementType()).isEqualTo(DataTypes.FloatType);
    }
    assertThat(embeddings.schema().apply("id").dataType()).isEqualTo(DataTypes.LongType);
    assertThat(embeddings.count()).isEqualTo(TRAIN + TEST);
    assertThat(embeddings.select("id").distinct().count()).isEqualTo(TRAIN + TEST);
    assertThat(embeddings.where("split = 'test'").count()).isEqualTo(TEST);
    assertThat(embeddings.select("model_version").distinct().count()).isEqualTo(1);
    Row row = embeddings.first();
    assertThat(row.<Float>getList(4)).hasSize(20);
    assertThat(row.<Float>getList(5)).hasSize(20);
    // Spark SQL reads the vectors directly.
    assertThat(embeddings.selectExpr("avg(z_mean[0])").first().isNullAt(0)).isFalse();
  }

  @Test
  void samplesAreParquetRowsOfDecodedDigits() {
    Dataset<Row> samples = spark.read().parquet(out.resolve("generated/samples").toString());
    assertThat(samples.columns()).containsExactly("sample_id", "model_version", "z", "pixels");
    List<Row> rows = samples.collectAsList();
    assertThat(rows).hasSize(16);
    assertThat((byte[]) rows.get(0).get(3)).hasSize(784);
    assertThat(rows.get(0).<Float>getList(2)).hasSize(20);
  }

  @Test
  void plotsAndGridsArePngImages() throws Exception {
    for (String png : new String[] {"samples.png", "reconstructions.png", "loss_curves.png", "latent_scatter.png"}) {
      BufferedImage image = ImageIO.read(out.resolve("generated").resolve(png).toFile());
      assertThat(image).as(png).isNotNull();
      assertThat(image.getWidth()).as(png).isGreaterThan(100);
      assertThat(image.getHeight()).as(png).isGreaterThan(50);
    }
    // 16 samples in a 4 x 4 grid of 56-pixel cells (28 x 2) with 2-pixel gaps.
    BufferedImage samples = ImageIO.read(out.resolve("generated/samples.png").toFile());
    assertThat(samples.getWidth()).isEqualTo(4 * 58 + 2);
  }

  @Test
  void datasetHasBothSplits() {
    assertThat(spark.read().parquet(out.resolve("dataset/train").toString()).count()).isEqualTo(TRAIN);
    assertThat(spark.read().parquet(out.resolve("dataset/test").toString()).count()).isEqualTo(TEST);
  }

  @Test
  void rerunningWithoutOverwriteIsRefusedAndKeepsTheOutputs() throws Exception {
    long before = java.nio.file.Files.getLastModifiedTime(out.resolve("model/model.zip")).toMillis();
    StringWriter e = new StringWriter();
    CommandLine cli = VaeCli.commandLine();
    cli.setErr(new PrintWriter(e));
    int code = cli.execute("prepare", "--input", dir.resolve("idx").toString(), "--output", out.toString());
    assertThat(code).isEqualTo(VaeCli.EXIT_BAD_INPUT);
    assertThat(e.toString()).contains("already exists").contains("--overwrite");
    assertThat(java.nio.file.Files.getLastModifiedTime(out.resolve("model/model.zip")).toMillis()).isEqualTo(before);
  }

  @Test
  void badInputExitsNonZeroWithTheProblemNamed() {
    StringWriter e = new StringWriter();
    CommandLine cli = VaeCli.commandLine();
    cli.setErr(new PrintWriter(e));
    int code = cli.execute("prepare", "--input", dir.resolve("missing").toString(), "--output", dir.resolve("other").toString());
    assertThat(code).isEqualTo(VaeCli.EXIT_BAD_INPUT);
    assertThat(e.toString()).contains("input folder").contains("missing").contains("not found");
    assertThat(dir.resolve("other/dataset")).doesNotExist();
  }

  @Test
  void badConfigValueExitsNonZeroNamingTheKey() {
    StringWriter e = new StringWriter();
    CommandLine cli = VaeCli.commandLine();
    cli.setErr(new PrintWriter(e));
    int code = cli.execute("train", "--set", "vae.training.epochs=-1");
    assertThat(code).isEqualTo(VaeCli.EXIT_BAD_INPUT);
    assertThat(e.toString()).contains("vae.training.epochs = -1 is out of range");
  }
}
