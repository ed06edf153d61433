package org.vaespark.train;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vaespark.config.Settings;
import org.vaespark.config.SettingsLoader;
import org.vaespark.io.Storage;
import org.vaespark.job.JobContext;
import org.vaespark.model.EpochMetrics;
import org.vaespark.model.ModelMetadata;
import org.vaespark.model.ModelStore;
import org.vaespark.prepare.PrepareJob;
import org.vaespark.testing.CliProcess;
import org.vaespark.testing.SparkTestBase;
import org.vaespark.testing.TestData;

/**
 * The driver JVM is killed with SIGKILL partway through training; {@code train} run again resumes from the last
 * complete checkpoint, repeats no finished epoch, and ends with the model an uninterrupted run produces.
 */
class ResumeAfterKillTest extends SparkTestBase {
  private static final int EPOCHS = 8;

  @TempDir
  Path dir;

  private Map<String, String> settings(Path input, Path out) {
    Map<String, String> all = new HashMap<>();
    all.put("vae.paths.input", input.toString());
    all.put("vae.paths.output", out.toString());
    all.put("vae.prepare.shards", "2");
    all.put("vae.training.epochs", String.valueOf(EPOCHS));
    all.put("vae.training.batch-size-per-worker", "32");
    all.put("vae.training.averaging-frequency", "2");
    all.put("vae.training.workers", "2");
    return all;
  }

  private static String[] trainCommand(Map<String, String> settings) {
    List<String> args = new ArrayList<>(List.of("train", "--master", "local[2]"));
    settings.forEach((k, v) -> args.addAll(List.of("--set", k + "=" + v)));
    return args.toArray(String[]::new);
  }

  @Test
  void killedTrainingResumesFromItsLastCheckpointAndRepeatsNoEpoch() throws Exception {
    Path input = TestData.writeSample(dir.resolve("idx"), 400, 200, true);
    Path out = dir.resolve("out");
    Map<String, String> settings = settings(input, out);
    new PrepareJob(JobContext.of(spark, SettingsLoader.load(null, settings))).run(false);
    Path checkpoints = out.resolve("checkpoints");

    try (CliProcess first = CliProcess.start(dir.resolve("first.log"), trainCommand(settings))) {
      first.awaitFile(checkpoints.resolve("epoch-00002/_SUCCESS"), 300);
      first.kill();
    }
    assertThat(out.resolve("model")).as("nothing published by the killed run").doesNotExist();
    int lastCheckpoint = lastCompleteCheckpoint(checkpoints);
    assertThat(lastCheckpoint).as("killed partway through").isBetween(2, EPOCHS - 1);

    String log;
    try (CliProcess second = CliProcess.start(dir.resolve("second.log"), trainCommand(settings))) {
      assertThat(second.waitFor(600)).as(second.log()).isZero();
      log = second.log();
    }

    assertThat(log)
        .containsPattern("Resuming from checkpoint (file:)?"
            + checkpoints.resolve(Checkpoints.folderName(lastCheckpoint)) + ": epoch "
            + lastCheckpoint + " of " + EPOCHS + " done");
    for (int epoch = 1; epoch <= lastCheckpoint; epoch++) {
      assertThat(log)
          .as("finished epoch %d is not repeated", epoch)
          .doesNotContain("Starting epoch " + epoch + " of ");
    }
    assertThat(log).contains("Starting epoch " + (lastCheckpoint + 1) + " of " + EPOCHS);
    ModelStore store = new ModelStore(new Storage(spark.sparkContext().hadoopConfiguration()));
    org.apache.hadoop.fs.Path model =
        new org.apache.hadoop.fs.Path(out.resolve("model").toString());
    List<EpochMetrics> resumed = store.loadMetrics(model);
    assertThat(resumed).extracting(EpochMetrics::epoch).containsExactly(1, 2, 3, 4, 5, 6, 7, 8);
    ModelMetadata metadata = store.loadMetadata(model);
    assertThat(metadata.training().resumedFromEpoch()).isEqualTo(lastCheckpoint);
    assertThat(metadata.history()).isEqualTo(resumed);
    assertThat(checkpoints)
        .as("checkpoints are removed once the model is published")
        .doesNotExist();

    // The same training without the kill, in this JVM. Every random stream is derived from the seed
    // and the
    // position in training, so the resumed run follows the uninterrupted one; not bit for bit,
    // because Spark
    // sums the workers' parameters in the order their tasks finish. A restart from scratch, or a
    // resume that
    // lost the Adam state, would be tens of nats off in the epoch after the checkpoint.
    Map<String, String> uninterrupted = new HashMap<>(settings);
    uninterrupted.put("vae.paths.model", dir.resolve("uninterrupted/model").toString());
    uninterrupted.put(
        "vae.paths.checkpoints", dir.resolve("uninterrupted/checkpoints").toString());
    Settings reference = SettingsLoader.load(null, uninterrupted);
    new TrainJob(JobContext.of(spark, reference)).run(false);
    List<EpochMetrics> expected =
        store.loadMetrics(new org.apache.hadoop.fs.Path(reference.paths().model()));
    for (int i = 0; i < EPOCHS; i++) {
      assertThat(resumed.get(i).testNegElbo())
          .as(
              "held-out -ELBO of epoch %d, resumed after epoch %d: %s vs %s",
              i + 1, lastCheckpoint, resumed, expected)
          .isCloseTo(expected.get(i).testNegElbo(), Offset.offset(0.5));
    }
  }

  private static int lastCompleteCheckpoint(Path checkpoints) throws Exception {
    try (Stream<Path> folders = Files.list(checkpoints)) {
      return folders
          .filter(p -> p.getFileName().toString().matches("epoch-\\d+")
              && Files.exists(p.resolve("_SUCCESS")))
          .mapToInt(p -> Integer.parseInt(p.getFileName().toString().substring("epoch-".length())))
          .max()
          .orElseThrow();
    }
  }
}
