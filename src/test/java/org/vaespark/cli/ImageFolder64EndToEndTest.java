package org.vaespark.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.awt.image.BufferedImage;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vaespark.io.Json;
import org.vaespark.io.Storage;
import org.vaespark.model.ModelStore;
import org.vaespark.testing.SparkTestBase;
import org.vaespark.testing.TestData;
import org.vaespark.testing.TestImages;
import picocli.CommandLine;

/**
 * A dataset of another image size, from another input: PNG digits in one folder per label, prepared at 64 x 64,
 * trains, generates and evaluates through the real command line; every stage follows the manifest's size.
 */
class ImageFolder64EndToEndTest extends SparkTestBase {
  private static final int N = 240;
  private static final String[] NAMES = {
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"
  };

  @TempDir
  static Path dir;

  private static Path out;
  private static int exitCode;
  private static String stderr;

  @BeforeAll
  static void runPipeline() {
    Path input = dir.resolve("pngs");
    byte[] labels = TestData.labels(N);
    for (int i = 0; i < N; i++) {
      TestImages.write(input.resolve(NAMES[labels[i]]).resolve(i + ".png"), TestImages.png(i));
    }
    out = dir.resolve("out");
    StringWriter e = new StringWriter();
    CommandLine cli = VaeCli.commandLine();
    cli.setOut(new PrintWriter(new StringWriter()));
    cli.setErr(new PrintWriter(e));
    exitCode = cli.execute(
        "pipeline",
        "--input",
        input.toString(),
        "--output",
        out.toString(),
        "--set",
        "vae.prepare.image-size=64x64",
        "--set",
        "vae.training.epochs=1",
        "--set",
        "vae.training.batch-size-per-worker=32",
        "--set",
        "vae.generate.samples=16",
        "--set",
        "vae.generate.reconstructions=4",
        "--set",
        "vae.evaluate.importance-samples=5",
        "--set",
        "vae.evaluate.embedding-test-samples=2",
        "--set",
        "vae.evaluate.embedding-train-samples=1");
    stderr = e.toString();
  }

  @Test
  void theManifestRecordsTheSizeTheInputAndTheLabelIndex() throws Exception {
    assertThat(exitCode).as(stderr).isZero();
    JsonNode manifest =
        Json.MAPPER.readTree(Files.readString(out.resolve("dataset/manifest.json")));
    assertThat(manifest.get("rows").asInt()).isEqualTo(64);
    assertThat(manifest.get("cols").asInt()).isEqualTo(64);
    assertThat(manifest.get("input_kind").asText()).isEqualTo("image-folder");
    assertThat(manifest.get("labels")).hasSize(10);
    assertThat(manifest.get("train_examples").asLong()
            + manifest.get("test_examples").asLong())
        .isEqualTo(N);
  }

  @Test
  void theModelTakesTheDatasetsSize() {
    assertThat(exitCode).as(stderr).isZero();
    int inputs = new ModelStore(new Storage(spark.sparkContext().hadoopConfiguration()))
        .loadNetwork(new org.apache.hadoop.fs.Path(out.resolve("model").toString()))
        .getLayer(0)
        .getParam("e0W")
        .rows();
    assertThat(inputs).isEqualTo(64 * 64);
  }

  @Test
  void generateAndEvaluateFollowTheSize() throws Exception {
    assertThat(exitCode).as(stderr).isZero();
    List<Row> samples =
        spark.read().parquet(out.resolve("generated/samples").toString()).collectAsList();
    assertThat((byte[]) samples.get(0).get(3)).hasSize(4096);
    // 16 samples in a 4 x 4 grid of 128-pixel cells (64 x 2) with 2-pixel gaps.
    BufferedImage grid = ImageIO.read(out.resolve("generated/samples.png").toFile());
    assertThat(grid.getWidth()).isEqualTo(4 * 130 + 2);
    for (String png : new String[] {
      "reconstructions.png", "latent_manifold.png", "interpolations.png", "anomalies.png"
    }) {
      assertThat(ImageIO.read(out.resolve("generated").resolve(png).toFile()))
          .as(png)
          .isNotNull();
    }
    assertThat(
            spark.read().parquet(out.resolve("generated/embeddings").toString()).count())
        .isEqualTo(N);
    JsonNode evaluation =
        Json.MAPPER.readTree(Files.readString(out.resolve("evaluation/evaluation.json")));
    assertThat(evaluation.get("test_log_px").asDouble()).isFinite();
  }
}
