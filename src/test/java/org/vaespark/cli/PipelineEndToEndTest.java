package org.vaespark.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataTypes;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vaespark.error.ExitCode;
import org.vaespark.io.Json;
import org.vaespark.io.Storage;
import org.vaespark.model.ModelMetadata;
import org.vaespark.model.ModelStore;
import org.vaespark.testing.SparkTestBase;
import org.vaespark.testing.TestData;
import picocli.CommandLine;

/** {@code pipeline} through the real command line, on real digits, in local[2]. */
class PipelineEndToEndTest extends SparkTestBase {
  private static final int TRAIN = 300;
  private static final int TEST = 100;

  @TempDir
  static Path dir;

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
    exitCode = cli.execute(
        "pipeline",
        "--input",
        input.toString(),
        "--output",
        out.toString(),
        "--set",
        "vae.training.epochs=2",
        "--set",
        "vae.training.batch-size-per-worker=32",
        "--set",
        "vae.prepare.shards=2",
        "--set",
        "vae.generate.samples=16",
        "--set",
        "vae.generate.reconstructions=8",
        "--set",
        "vae.evaluate.importance-samples=50");
    stdout = o.toString();
    stderr = e.toString();
  }

  @Test
  void exitsCleanlyAndSummarisesWhereEachOutputWent() {
    assertThat(exitCode).as(stderr).isZero();
    assertThat(stdout)
        .contains(
            "dataset",
            "model",
            "final loss",
            "held-out negative ELBO",
            "samples",
            "embeddings",
            "plots");
    assertThat(stdout).contains(out.resolve("generated").toString());
  }

  @Test
  void everyOutputIsPublished() {
    for (String folder : new String[] {
      "dataset", "model", "generated", "generated/samples", "generated/embeddings", "evaluation"
    }) {
      assertThat(out.resolve(folder).resolve("_SUCCESS")).as(folder).exists();
    }
    assertThat(out.resolve("model/model.zip")).exists();
    assertThat(out.resolve("model/metadata.json")).exists();
    assertThat(out.resolve("model/metrics.jsonl")).exists();
    try (Stream<Path> entries = Files.list(out)) {
      assertThat(entries.map(p -> p.getFileName().toString()))
          .as("no staging left")
          .containsExactlyInAnyOrder("dataset", "model", "generated", "evaluation");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Test
  void embeddingsCoverEveryExampleWithTheDocumentedSchema() {
    Dataset<Row> embeddings =
        spark.read().parquet(out.resolve("generated/embeddings").toString());
    assertThat(embeddings.columns())
        .containsExactly(
            "id",
            "label",
            "split",
            "model_version",
            "z_mean",
            "z_log_var",
            "log_px",
            "reconstruction_log_prob");
    Row scores = embeddings
        .selectExpr("max(log_px)", "max(log_px - reconstruction_log_prob)", "min(log_px)")
        .first();
    assertThat(scores.getDouble(0))
        .as("log p(x) of binarised-ish digits is a log-probability")
        .isNegative();
    assertThat(scores.getDouble(2)).isFinite();
    for (String vector : new String[] {"z_mean", "z_log_var"}) {
      assertThat(((ArrayType) embeddings.schema().apply(vector).dataType()).elementType())
          .isEqualTo(DataTypes.FloatType);
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
    for (String png : new String[] {
      "samples.png",
      "reconstructions.png",
      "loss_curves.png",
      "latent_scatter.png",
      "latent_manifold.png",
      "interpolations.png",
      "anomalies.png"
    }) {
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
  void evaluationHoldsTheElboTermsAndTheImportanceSampledEstimate() throws Exception {
    JsonNode evaluation =
        Json.MAPPER.readTree(Files.readString(out.resolve("evaluation/evaluation.json")));
    double negElbo = evaluation.get("test_neg_elbo").asDouble();
    assertThat(evaluation.get("test_reconstruction").asDouble()
            + evaluation.get("test_kl").asDouble())
        .isCloseTo(negElbo, Offset.offset(1e-6));
    assertThat(evaluation.get("test_examples").asLong()).isEqualTo(TEST);
    assertThat(evaluation.get("importance_samples").asInt()).isEqualTo(50); // set by the test
    // The importance-sampled log p(x) is a tighter lower bound than the ELBO.
    assertThat(evaluation.get("test_log_px").asDouble()).isGreaterThan(-negElbo);
    ModelMetadata metadata = new ModelStore(new Storage(spark.sparkContext().hadoopConfiguration()))
        .loadMetadata(new org.apache.hadoop.fs.Path(out.resolve("model").toString()));
    assertThat(metadata.evaluation().testLogPx())
        .isEqualTo(evaluation.get("test_log_px").asDouble());
    assertThat(Files.readString(out.resolve("evaluation/evaluation.md")))
        .contains("importance-sampled with k = 50");
    assertThat(stdout).contains("evaluation").contains("held-out log p(x)");
  }

  /** The two queries the README shows over the embeddings, run as printed there (the path aside). */
  @Test
  void theReadmesSqlQueriesOverTheEmbeddingsRun() {
    String table = "parquet.`" + out.resolve("generated/embeddings") + "`";
    List<Row> least = spark
        .sql("SELECT id, label, log_px FROM (\n"
            + "  SELECT id, label, log_px, row_number() OVER (PARTITION BY label ORDER BY log_px) AS rank\n"
            + "  FROM " + table + " WHERE split = 'test')\n"
            + "WHERE rank <= 20 ORDER BY label, log_px")
        .collectAsList();
    assertThat(least).isNotEmpty();
    assertThat(
            least.stream().collect(Collectors.groupingBy(r -> r.getInt(1), Collectors.counting())))
        .allSatisfy((label, count) -> assertThat(count).isLessThanOrEqualTo(20));
    List<Row> means = spark
        .sql("SELECT label, transform(array_sort(collect_list(struct(i, m))), s -> s.m) AS mean_z\n"
            + "FROM (SELECT label, i, avg(v) AS m\n"
            + "      FROM " + table + " LATERAL VIEW posexplode(z_mean) t AS i, v\n"
            + "      GROUP BY label, i)\n"
            + "GROUP BY label ORDER BY label")
        .collectAsList();
    assertThat(means).isNotEmpty();
    Row first = means.get(0);
    double expected = spark
        .sql("SELECT avg(z_mean[3]) FROM " + table + " WHERE label = " + first.getInt(0))
        .first()
        .getDouble(0);
    assertThat(first.<Double>getList(1)).hasSize(20);
    assertThat(first.<Double>getList(1).get(3)).isCloseTo(expected, Offset.offset(1e-9));
  }

  @Test
  void datasetHasBothSplits() {
    assertThat(spark.read().parquet(out.resolve("dataset/train").toString()).count())
        .isEqualTo(TRAIN);
    assertThat(spark.read().parquet(out.resolve("dataset/test").toString()).count())
        .isEqualTo(TEST);
  }

  @Test
  void rerunningWithoutOverwriteIsRefusedAndKeepsTheOutputs() throws Exception {
    long before = Files.getLastModifiedTime(out.resolve("model/model.zip")).toMillis();
    StringWriter e = new StringWriter();
    CommandLine cli = VaeCli.commandLine();
    cli.setErr(new PrintWriter(e));
    int code = cli.execute(
        "prepare", "--input", dir.resolve("idx").toString(), "--output", out.toString());
    assertThat(code).isEqualTo(ExitCode.BAD_INPUT.code());
    assertThat(e.toString()).contains("already exists").contains("--overwrite");
    assertThat(Files.getLastModifiedTime(out.resolve("model/model.zip")).toMillis())
        .isEqualTo(before);
  }

  @Test
  void badInputExitsNonZeroWithTheProblemNamed() {
    StringWriter e = new StringWriter();
    CommandLine cli = VaeCli.commandLine();
    cli.setErr(new PrintWriter(e));
    int code = cli.execute(
        "prepare",
        "--input",
        dir.resolve("missing").toString(),
        "--output",
        dir.resolve("other").toString());
    assertThat(code).isEqualTo(ExitCode.BAD_INPUT.code());
    assertThat(e.toString()).contains("input folder").contains("missing").contains("not found");
    assertThat(dir.resolve("other/dataset")).doesNotExist();
  }

  @Test
  void badConfigValueExitsNonZeroNamingTheKey() {
    StringWriter e = new StringWriter();
    CommandLine cli = VaeCli.commandLine();
    cli.setErr(new PrintWriter(e));
    int code = cli.execute("train", "--set", "vae.training.epochs=-1");
    assertThat(code).isEqualTo(ExitCode.BAD_INPUT.code());
    assertThat(e.toString()).contains("vae.training.epochs = -1 is out of range");
  }
}
