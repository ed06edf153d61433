package org.vaespark.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.assertj.core.api.Assertions;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vaespark.config.Settings;
import org.vaespark.config.SettingsLoader;
import org.vaespark.error.InputFileException;
import org.vaespark.error.SettingsException;
import org.vaespark.error.TrainingDivergedException;
import org.vaespark.evaluate.ElboEvaluator;
import org.vaespark.io.Json;
import org.vaespark.io.Sha256;
import org.vaespark.io.Storage;
import org.vaespark.job.JobContext;
import org.vaespark.model.BuildInfo;
import org.vaespark.model.EpochMetrics;
import org.vaespark.model.ModelMetadata;
import org.vaespark.model.ModelStore;
import org.vaespark.model.VaeNetworks;
import org.vaespark.prepare.PrepareJob;
import org.vaespark.testing.SparkTestBase;
import org.vaespark.testing.TestData;

class TrainJobTest extends SparkTestBase {
  @TempDir
  Path dir;

  /** Small-data settings: the given input, outputs under the test folder, batch 32, plus {@code extra}. */
  private Settings settings(Path input, Map<String, String> extra) {
    Map<String, String> all = new HashMap<>(Map.of(
        "vae.paths.input",
        input.toString(),
        "vae.paths.output",
        dir.resolve("out").toString(),
        "vae.prepare.shards",
        "2",
        "vae.training.batch-size-per-worker",
        "32"));
    all.putAll(extra);
    return SettingsLoader.load(null, all);
  }

  @Test
  void heldOutLossFallsClearlyAndTheModelIsPublishedWithProvenance() throws Exception {
    Path input = TestData.writeSample(dir.resolve("idx"), 400, 200, true);
    Settings settings = settings(
        input,
        Map.of(
            "vae.training.epochs", "5",
            "vae.training.averaging-frequency", "2",
            "vae.training.workers", "2"));
    String fingerprint =
        new PrepareJob(JobContext.of(spark, settings)).run(false).manifest().fingerprint();

    Instant trainedAt = Instant.parse("2026-11-25T12:00:00Z");
    BuildInfo build = new BuildInfo(
        "9.9.9", "0123456789abcdef0123456789abcdef01234567", spark.version(), "M2.1", "M2");
    JobContext context = new JobContext(
        settings,
        spark,
        new Storage(spark.sparkContext().hadoopConfiguration()),
        Clock.fixed(trainedAt, ZoneOffset.UTC),
        build);

    TrainJob.Result result = new TrainJob(context).run(false);

    Path model = dir.resolve("out/model");
    assertThat(model.resolve("_SUCCESS")).exists();
    assertThat(model.resolve("model.zip")).exists();
    ModelStore store = context.models();
    org.apache.hadoop.fs.Path modelFolder = new org.apache.hadoop.fs.Path(model.toString());
    List<EpochMetrics> history = store.loadMetrics(modelFolder);
    assertThat(history).hasSize(5).extracting(EpochMetrics::epoch).containsExactly(1, 2, 3, 4, 5);
    EpochMetrics first = history.get(0);
    EpochMetrics last = history.get(4);
    assertThat(last.testNegElbo())
        .as("held-out loss falls by a clear margin")
        .isLessThan(first.testNegElbo() - 20);
    assertThat(ElboEvaluator.heldOutNegElbo(context, store.loadNetwork(modelFolder)))
        .as("the published model is the one whose held-out loss was recorded")
        .isCloseTo(last.testNegElbo(), within(1e-3));
    assertThat(result.finalMetrics()).isEqualTo(last);

    ModelMetadata metadata = store.loadMetadata(modelFolder);
    byte[] modelZip = Files.readAllBytes(model.resolve("model.zip"));
    assertThat(result.modelVersion())
        .as("time of training and the model file's hash")
        .isEqualTo("20261125T120000Z-" + Sha256.hexPrefix(modelZip, 4));
    assertThat(metadata.modelVersion()).isEqualTo(result.modelVersion());
    assertThat(metadata.createdAt()).isEqualTo("2026-11-25T12:00:00Z");
    assertThat(metadata.data().fingerprint()).isEqualTo(fingerprint);
    assertThat(metadata.data().trainExamples()).isEqualTo(400);
    assertThat(metadata.finalMetrics()).isEqualTo(last);
    assertThat(metadata.gitCommit()).isEqualTo(build.gitCommit());
    assertThat(metadata.versions())
        .containsEntry("spark-vae-mnist", "9.9.9")
        .containsEntry("deeplearning4j", "M2.1")
        .containsEntry("spark", spark.version())
        .containsKeys("nd4j-backend", "java");
    JsonNode config = metadata.config();
    assertThat(config.at("/training/epochs").asInt()).isEqualTo(5);
    assertThat(config.at("/model/latent-size").asInt()).isEqualTo(20);
    assertThat(Json.MAPPER
            .readTree(Files.readString(model.resolve("metadata.json")))
            .has("final_metrics"))
        .isTrue();
  }

  @Test
  void divergenceStopsTrainingNamingEpochAndIterationAndPublishesNothing() {
    Path input = TestData.writeSample(dir.resolve("idx"), 128, 64, false);
    Settings settings =
        settings(input, Map.of("vae.training.epochs", "2", "vae.training.learning-rate", "10"));
    new PrepareJob(JobContext.of(spark, settings)).run(false);
    Assertions.assertThatThrownBy(() -> new TrainJob(JobContext.of(spark, settings)).run(false))
        .isInstanceOf(TrainingDivergedException.class)
        .hasMessageContaining("training diverged in epoch 1")
        .hasMessageMatching(
            "(?s).*the VAE loss became (NaN|-?Infinity) at iteration \\d+ \\(epoch 1\\).*")
        .hasMessageContaining("vae.training.learning-rate");
    assertThat(dir.resolve("out/model")).doesNotExist();
  }

  /** A real checkpoint of epoch 1 (a network trained a few steps on the prepared digits), as a crash would leave. */
  private Checkpoints checkpointOfEpochOne(Settings settings, String fingerprint) {
    return checkpointOfEpochOne(
        settings, fingerprint, List.of(new EpochMetrics(1, 300, 280, 20, 301, 281, 20, 1, 100)));
  }

  private Checkpoints checkpointOfEpochOne(
      Settings settings, String fingerprint, List<EpochMetrics> history) {
    MultiLayerNetwork network = VaeNetworks.create(settings.model(), settings.training());
    for (int i = 0; i < 4; i++) {
      network.pretrainLayer(0, TestData.features(i * 32, 32));
    }
    Checkpoints checkpoints = new Checkpoints(
        new Storage(spark.sparkContext().hadoopConfiguration()),
        new org.apache.hadoop.fs.Path(settings.paths().checkpoints()),
        2);
    checkpoints.write(
        network,
        new TrainingState(
            1,
            4,
            settings.training().seed(),
            history,
            1.0,
            fingerprint,
            settings.model(),
            "2026-11-23T00:00:00Z"));
    return checkpoints;
  }

  @Test
  void divergenceKeepsTheLastGoodCheckpointAndALowerLearningRateResumesFromIt() {
    Path input = TestData.writeSample(dir.resolve("idx"), 128, 64, false);
    Settings diverging =
        settings(input, Map.of("vae.training.epochs", "3", "vae.training.learning-rate", "10"));
    String fingerprint =
        new PrepareJob(JobContext.of(spark, diverging)).run(false).manifest().fingerprint();
    Settings fixed = settings(input, Map.of("vae.training.epochs", "3"));
    Checkpoints checkpoints = checkpointOfEpochOne(fixed, fingerprint);

    Assertions.assertThatThrownBy(() -> new TrainJob(JobContext.of(spark, diverging)).run(false))
        .isInstanceOf(TrainingDivergedException.class)
        .hasMessageContaining("training diverged in epoch 2")
        .hasMessageContaining("the last good checkpoint")
        .hasMessageContaining("epoch-00001, is kept");
    assertThat(dir.resolve("out/model")).doesNotExist();
    assertThat(checkpoints.complete())
        .extracting(org.apache.hadoop.fs.Path::getName)
        .containsExactly("epoch-00001");

    new TrainJob(JobContext.of(spark, fixed)).run(false);
    ModelStore store = new ModelStore(new Storage(spark.sparkContext().hadoopConfiguration()));
    org.apache.hadoop.fs.Path model =
        new org.apache.hadoop.fs.Path(dir.resolve("out/model").toString());
    assertThat(store.loadMetrics(model)).extracting(EpochMetrics::epoch).containsExactly(1, 2, 3);
    assertThat(store.loadMetadata(model).training().resumedFromEpoch()).isEqualTo(1);
    assertThat(store.loadMetrics(model).get(2).testNegElbo()).isFinite();
    assertThat(dir.resolve("out/checkpoints")).doesNotExist();
  }

  /**
   * The checkpoint of an epoch is written before its evaluation; a run that died in the evaluation (so the
   * checkpoint holds no metrics for its epoch) evaluates that epoch first when resumed.
   */
  @Test
  void aCheckpointWrittenBeforeItsEvaluationIsEvaluatedWhenResumed() {
    Path input = TestData.writeSample(dir.resolve("idx"), 128, 64, false);
    Settings settings = settings(input, Map.of("vae.training.epochs", "2"));
    String fingerprint =
        new PrepareJob(JobContext.of(spark, settings)).run(false).manifest().fingerprint();
    checkpointOfEpochOne(settings, fingerprint, List.of());

    new TrainJob(JobContext.of(spark, settings)).run(false);

    ModelStore store = new ModelStore(new Storage(spark.sparkContext().hadoopConfiguration()));
    List<EpochMetrics> metrics =
        store.loadMetrics(new org.apache.hadoop.fs.Path(dir.resolve("out/model").toString()));
    assertThat(metrics).extracting(EpochMetrics::epoch).containsExactly(1, 2);
    assertThat(metrics.get(0).testNegElbo())
        .as("epoch 1 evaluated on resume")
        .isFinite()
        .isPositive();
    assertThat(metrics.get(1).testNegElbo()).isLessThan(metrics.get(0).testNegElbo());
    assertThat(metrics.get(0).epochSeconds()).isEqualTo(1.0);
  }

  @Test
  void aCheckpointOfAnotherArchitectureOrOtherDataIsNotResumed() {
    Path input = TestData.writeSample(dir.resolve("idx"), 128, 64, false);
    Settings settings = settings(input, Map.of("vae.training.epochs", "2"));
    String fingerprint =
        new PrepareJob(JobContext.of(spark, settings)).run(false).manifest().fingerprint();
    checkpointOfEpochOne(settings, fingerprint);

    Settings otherLatent =
        settings(input, Map.of("vae.training.epochs", "2", "vae.model.latent-size", "8"));
    Assertions.assertThatThrownBy(() -> new TrainJob(JobContext.of(spark, otherLatent)).run(false))
        .isInstanceOf(SettingsException.class)
        .hasMessageContaining("latentSize=20")
        .hasMessageContaining("latentSize=8")
        .hasMessageContaining("vae.training.checkpoint.resume = false");

    checkpointOfEpochOne(settings, "another-fingerprint");
    Assertions.assertThatThrownBy(() -> new TrainJob(JobContext.of(spark, settings)).run(false))
        .isInstanceOf(InputFileException.class)
        .hasMessageContaining("fingerprint another-fingerprint")
        .hasMessageContaining(fingerprint);
    assertThat(dir.resolve("out/model")).doesNotExist();

    Settings fresh = settings(
        input, Map.of("vae.training.epochs", "1", "vae.training.checkpoint.resume", "false"));
    new TrainJob(JobContext.of(spark, fresh)).run(false);
    assertThat(dir.resolve("out/model/_SUCCESS")).exists();
  }
}
