package org.vaespark.retrain;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vaespark.cli.VaeCli;
import org.vaespark.error.ExitCode;
import org.vaespark.io.Json;
import org.vaespark.io.Storage;
import org.vaespark.model.ModelMetadata;
import org.vaespark.model.ModelStore;
import org.vaespark.testing.CliProcess;
import org.vaespark.testing.SparkTestBase;
import org.vaespark.testing.TestData;
import picocli.CommandLine;

/**
 * Two retrain runs on one output at the same time, and a retrain killed mid-training: the second run is refused
 * while the first holds the lock, and after the kill the next run breaks the expired lock and finishes the same
 * version from its checkpoint.
 */
class RetrainFaultsTest extends SparkTestBase {
  @TempDir
  Path dir;

  private List<String> retrainArgs(Path input, Path out, String lockExpiry) {
    List<String> args = new ArrayList<>(
        List.of("retrain", "--input", input.toString(), "--output", out.toString()));
    for (String setting : new String[] {
      "vae.training.epochs=6",
      "vae.training.batch-size-per-worker=32",
      "vae.training.workers=2",
      "vae.prepare.shards=2",
      "vae.generate.samples=4",
      "vae.generate.reconstructions=4",
      "vae.retrain.lock-expiry=" + lockExpiry
    }) {
      args.addAll(List.of("--set", setting));
    }
    return args;
  }

  private static int runInProcess(List<String> args, StringWriter err) {
    CommandLine cli = VaeCli.commandLine();
    cli.setOut(new PrintWriter(new StringWriter()));
    cli.setErr(new PrintWriter(err));
    return cli.execute(args.toArray(String[]::new));
  }

  @Test
  void aSecondRunIsRefusedWhileTheFirstHoldsTheLockAndAKilledRunIsFinishedByTheNext()
      throws Exception {
    Path input = TestData.writeSample(dir.resolve("idx"), 400, 200, true);
    Path out = dir.resolve("out");
    String version;
    try (CliProcess first =
        CliProcess.start(dir.resolve("first.log"), withMaster(retrainArgs(input, out, "10m")))) {
      Path versions = out.resolve("versions");
      first.awaitFile(versions, 300);
      version = onlyChild(versions);
      first.awaitFile(versions.resolve(version).resolve("checkpoints/epoch-00001/_SUCCESS"), 300);

      StringWriter err = new StringWriter();
      int code = runInProcess(retrainArgs(input, out, "10m"), err);

      assertThat(code).as(err.toString()).isEqualTo(ExitCode.LOCKED.code());
      assertThat(err.toString())
          .contains("another run holds the lock")
          .contains(out.resolve("_LOCK").toString())
          .contains("pid ");
      assertThat(versions.toFile().list())
          .as("the refused run wrote no version")
          .containsExactly(version);
      first.kill(); // mid-training: the lock stays behind, the version is unfinished
    }
    assertThat(out.resolve("_LOCK")).exists();
    assertThat(out.resolve("CURRENT")).doesNotExist();

    // The next scheduled run, once the dead run's lock has expired (no heartbeat refreshes it any
    // more).
    Instant lockTime = Files.getLastModifiedTime(out.resolve("_LOCK")).toInstant();
    Thread.sleep(
        Math.max(0, Duration.between(Instant.now(), lockTime.plusSeconds(3)).toMillis()));
    StringWriter err = new StringWriter();
    int code = runInProcess(retrainArgs(input, out, "2s"), err);

    assertThat(code).as(err.toString()).isZero();
    assertThat(out.resolve("versions").toFile().list())
        .as("the same version, finished")
        .containsExactly(version);
    VersionStore.Pointer pointer =
        Json.parse(Files.readString(out.resolve("CURRENT")), VersionStore.Pointer.class, "CURRENT");
    assertThat(pointer.version()).isEqualTo(version);
    ModelMetadata metadata = new ModelStore(new Storage(spark.sparkContext().hadoopConfiguration()))
        .loadMetadata(new org.apache.hadoop.fs.Path(
            out.resolve("versions").resolve(version).resolve("model").toString()));
    assertThat(metadata.modelVersion()).isEqualTo(version);
    assertThat(metadata.training().resumedFromEpoch())
        .as("resumed from the killed run's checkpoint")
        .isPositive();
    assertThat(metadata.history()).extracting(m -> m.epoch()).containsExactly(1, 2, 3, 4, 5, 6);
    assertThat(out.resolve("_LOCK")).doesNotExist();
    assertThat(out.resolve("embeddings").resolve("model_version=" + version).resolve("_SUCCESS"))
        .exists();
  }

  private static String[] withMaster(List<String> args) {
    List<String> all = new ArrayList<>(args);
    all.addAll(List.of("--master", "local[2]"));
    return all.toArray(String[]::new);
  }

  /** The one folder in {@code parent}, once it has appeared (mkdirs creates parents first). */
  private static String onlyChild(Path parent) throws Exception {
    for (int i = 0; i < 600; i++) {
      String[] children = parent.toFile().list();
      if (children != null && children.length > 0) {
        assertThat(children).hasSize(1);
        return children[0];
      }
      Thread.sleep(50);
    }
    throw new AssertionError("no version folder appeared in " + parent);
  }
}
