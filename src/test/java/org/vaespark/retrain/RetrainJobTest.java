package org.vaespark.retrain;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vaespark.config.Settings;
import org.vaespark.config.SettingsLoader;
import org.vaespark.io.Json;
import org.vaespark.io.Storage;
import org.vaespark.job.JobContext;
import org.vaespark.testing.SparkTestBase;
import org.vaespark.testing.TestData;

/** {@code retrain} on the bundled sample: versioning, the promotion gate, the pointer and the embeddings table. */
class RetrainJobTest extends SparkTestBase {
  @TempDir
  Path dir;

  private Settings settings(Map<String, String> extra) {
    Map<String, String> all = new HashMap<>(Map.of(
        "vae.paths.input", TestData.SAMPLE.toString(),
        "vae.paths.output", dir.resolve("out").toString(),
        "vae.training.workers", "2",
        "vae.generate.samples", "16",
        "vae.generate.reconstructions", "8"));
    all.putAll(extra);
    return SettingsLoader.load(null, all);
  }

  private VersionStore.Pointer pointer() throws Exception {
    return Json.parse(
        Files.readString(dir.resolve("out/CURRENT")), VersionStore.Pointer.class, "CURRENT");
  }

  @Test
  void aBetterModelIsPromotedAndADeliberatelyWorseOneIsNot() throws Exception {
    RetrainJob.Result first =
        new RetrainJob(JobContext.of(spark, settings(Map.of("vae.training.epochs", "2")))).run();

    assertThat(first.decision().promoted()).isTrue();
    assertThat(first.decision().reason()).isEqualTo("first version");
    assertThat(first.datasetRewritten()).isTrue();
    String v1 = first.version();
    assertThat(pointer().version()).isEqualTo(v1);
    Path v1Dir = dir.resolve("out/versions").resolve(v1);
    for (String part : new String[] {
      "model/_SUCCESS",
      "model/metadata.json",
      "model/metrics.jsonl",
      "generated/_SUCCESS",
      "generated/loss_curves.png",
      "generated/latent_scatter.png",
      "promotion.json",
      "_SUCCESS"
    }) {
      assertThat(v1Dir.resolve(part)).as(part).exists();
    }
    assertThat(v1Dir.resolve("checkpoints")).doesNotExist();
    long manifestTime =
        Files.getLastModifiedTime(dir.resolve("out/dataset/manifest.json")).toMillis();

    // A deliberately worse model: one epoch at a learning rate that barely moves it.
    RetrainJob.Result worse = new RetrainJob(JobContext.of(
            spark,
            settings(Map.of("vae.training.epochs", "1", "vae.training.learning-rate", "1e-5"))))
        .run();

    assertThat(worse.datasetRewritten()).as("same input, dataset kept").isFalse();
    assertThat(
            Files.getLastModifiedTime(dir.resolve("out/dataset/manifest.json")).toMillis())
        .isEqualTo(manifestTime);
    assertThat(worse.decision().promoted()).isFalse();
    assertThat(worse.decision().currentVersion()).isEqualTo(v1);
    assertThat(worse.decision().candidateTestNegElbo())
        .isGreaterThan(worse.decision().currentTestNegElbo() + 0.5);
    // The current version, evaluated again by the gate, scores what train measured for it: same
    // batches, same noise.
    assertThat(worse.decision().currentTestNegElbo())
        .isEqualTo(first.decision().candidateTestNegElbo());
    assertThat(pointer().version()).as("the pointer stays").isEqualTo(v1);
    VersionStore.Decision recorded = Json.parse(
        Files.readString(
            dir.resolve("out/versions").resolve(worse.version()).resolve("promotion.json")),
        VersionStore.Decision.class,
        "promotion.json");
    assertThat(recorded).isEqualTo(worse.decision());
    assertThat(dir.resolve("out/versions").resolve(worse.version()).resolve("_SUCCESS"))
        .exists();
    assertThat(dir.resolve("out/embeddings").resolve("model_version=" + worse.version()))
        .doesNotExist();

    // Three epochs beat two: promoted, and the pointer moves.
    RetrainJob.Result better =
        new RetrainJob(JobContext.of(spark, settings(Map.of("vae.training.epochs", "3")))).run();

    assertThat(better.decision().promoted()).isTrue();
    assertThat(better.decision().currentVersion()).isEqualTo(v1);
    assertThat(pointer().version()).isEqualTo(better.version());
    assertThat(pointer().model()).endsWith("versions/" + better.version() + "/model");
    assertThat(new VersionStore(
                new Storage(spark.sparkContext().hadoopConfiguration()),
                new org.apache.hadoop.fs.Path(dir.resolve("out").toString()),
                Clock.systemUTC())
            .versions())
        .containsExactly(v1, worse.version(), better.version());

    // Analytics read one table, partitioned by model version: every promoted version, and only
    // those.
    Dataset<Row> embeddings = spark.read().parquet(dir.resolve("out/embeddings").toString());
    List<Row> perVersion =
        embeddings.groupBy("model_version").count().orderBy("model_version").collectAsList();
    assertThat(perVersion).extracting(r -> r.getString(0)).containsExactly(v1, better.version());
    assertThat(perVersion).extracting(r -> r.getLong(1)).containsOnly(10_000L);
    assertThat(embeddings
            .where("model_version = '" + better.version() + "'")
            .select("id")
            .distinct()
            .count())
        .isEqualTo(10_000);
    assertThat(dir.resolve("out/_LOCK")).as("lock released").doesNotExist();
  }
}
