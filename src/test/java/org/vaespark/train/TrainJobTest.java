package org.vaespark.train;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vaespark.config.Settings;
import org.vaespark.config.SettingsLoader;
import org.vaespark.io.Json;
import org.vaespark.io.Storage;
import org.vaespark.model.EpochMetrics;
import org.vaespark.model.ModelMetadata;
import org.vaespark.model.ModelStore;
import org.vaespark.prepare.PrepareJob;
import org.vaespark.testing.SparkTestBase;
import org.vaespark.testing.TestData;

class TrainJobTest extends SparkTestBase {
  @TempDir Path dir;

  /** Small-data settings: the given input, outputs under the test folder, batch 32, plus {@code extra}. */
  private Settings settings(Path input, Map<String, String> extra) {
    Map<String, String> all = new java.util.HashMap<>(Map.of(
        "vae.paths.input", input.toString(),
        "vae.paths.output", dir.resolve("out").toString(),
        "vae.prepare.shards", "2",
        "vae.training.batch-size-per-worker", "32"));
    all.putAll(extra);
    return SettingsLoader.load(null, all);
  }

  @Test
  void heldOutLossFallsClearlyAndTheModelIsPublishedWithProvenance() throws Exception {
    Path input = TestData.writeSample(dir.resolve("idx"), 400, 200, true);
    Settings settings = settings(input, Map.of(
        "vae.training.epochs", "5",
        "vae.training.averaging-frequency", "2",
        "vae.training.workers", "2"));
    String fingerprint = new PrepareJob(spark, settings).run(false).manifest().fingerprint();

    TrainJob.Result result = new TrainJob(spark, settings).run(false);

    Path model = dir.resolve("out/model");
    assertThat(model.resolve("_SUCCESS")).exists();
    assertThat(model.resolve("model.zip")).exists();
    ModelStore store = new ModelStore(new Storage(spark.sparkContext().hadoopConfiguration()));
    List<EpochMetrics> history = store.loadMetrics(new org.apache.hadoop.fs.Path(model.toString()));
    assertThat(history).hasSize(5).extracting(EpochMetrics::epoch).containsExactly(1, 2, 3, 4, 5);
    EpochMetrics first = history.get(0);
    EpochMetrics last = history.get(4);
    assertThat(last.testNegElbo()).as("held-out loss falls by a clear margin").isLessThan(first.testNegElbo() - 20);
    assertThat(last.testNegElbo()).isCloseTo(last.testReconstruction() + last.testKl(), org.assertj.core.data.Offset.offset(1e-6));
    assertThat(last.testKl()).isPositive();
    assertThat(last.examplesPerSecond()).isPositive();
    assertThat(result.finalMetrics()).isEqualTo(last);

    ModelMetadata metadata = store.loadMetadata(new org.apache.hadoop.fs.Path(model.toString()));
    assertThat(metadata.modelVersion()).isEqualTo(result.modelVersion());
    assertThat(metadata.data().fingerprint()).isEqualTo(fingerprint);
    assertThat(metadata.data().trainExamples()).isEqualTo(400);
    assertThat(metadata.finalMetrics()).isEqualTo(last);
    assertThat(metadata.versions()).containsKeys("spark", "deeplearning4j", "dl4j-spark", "nd4j-backend", "java");
    assertThat(metadata.versions().get("spark")).startsWith("3.5");
    assertThat(metadata.gitCommit()).isNotBlank();
    JsonNode config = metadata.config();
    assertThat(config.at("/training/epochs").asInt()).isEqualTo(5);
    assertThat(config.at("/model/latent-size").asInt()).isEqualTo(20);
    assertThat(Json.MAPPER.readTree(Files.readString(model.resolve("metadata.json"))).has("history")).isTrue();
  }

  @Test
  void divergenceStopsTrainingNamingEpochAndIterationAndPublishesNothing() {
    Path input = TestData.writeSample(dir.resolve("idx"), 128, 64, false);
    Settings settings = settings(input, Map.of("vae.training.epochs", "2", "vae.training.learning-rate", "10"));
    new PrepareJob(spark, settings).run(false);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> new TrainJob(spark, settings).run(false))
        .isInstanceOf(TrainingDivergedException.class)
        .hasMessageContaining("training diverged in epoch 1")
        .hasMessageMatching("(?s).*the VAE loss became (NaN|-?Infinity) at iteration \\d+ \\(epoch 1\\).*")
        .hasMessageContaining("vae.training.learning-rate");
    assertThat(dir.resolve("out/model")).doesNotExist();
  }
}
