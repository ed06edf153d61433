package org.vaespark.retrain;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.fs.FileSystem;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
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
import org.vaespark.testing.TestStore;
import picocli.CommandLine;

/**
 * Two retrain runs on one output at the same time, and a retrain killed mid-training, on one file system: the
 * second run is refused while the first holds the lock, and after the kill the next run breaks the expired lock
 * and finishes the same version from its checkpoint. The first run is a JVM of its own (killed with SIGKILL); the
 * others run in this one.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class RetrainFaultsContract extends SparkTestBase {
  @TempDir
  static Path dir;

  private TestStore store;
  private String input;

  protected abstract TestStore store();

  /** Settings the store needs for retrain (S3: the scheduler prevents overlap). */
  protected List<String> storeSettings() {
    return List.of();
  }

  @BeforeAll
  void reachTheStoreAndUploadTheInput() throws Exception {
    store = store();
    store.configure(spark.sparkContext().hadoopConfiguration());
    Path local = TestData.writeSample(dir.resolve("idx"), 400, 200, true);
    input = store.root("idx");
    FileSystem fs = store.fs(input);
    fs.copyFromLocalFile(
        new org.apache.hadoop.fs.Path(local.toUri()), new org.apache.hadoop.fs.Path(input));
  }

  private List<String> retrainArgs(String out, String lockExpiry) {
    List<String> args = new ArrayList<>(List.of("retrain", "--input", input, "--output", out));
    args.addAll(store.options(dir));
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
    args.addAll(storeSettings());
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
    String out = store.root("out");
    String versions = out + "/versions";
    String lock = out + "/_LOCK";
    String version;
    List<String> first = new ArrayList<>(retrainArgs(out, "10m"));
    first.addAll(List.of("--master", "local[2]"));
    try (CliProcess process = CliProcess.start(
        dir.resolve("first-" + store.name() + ".log"),
        List.of(),
        store.environment(),
        first.toArray(String[]::new))) {
      process.await("a version folder", () -> !store.folders(versions).isEmpty(), 300);
      assertThat(store.folders(versions)).hasSize(1);
      version = store.folders(versions).get(0);
      String checkpoint = versions + "/" + version + "/checkpoints/epoch-00001/_SUCCESS";
      process.await("the first checkpoint", () -> store.exists(checkpoint), 300);

      StringWriter err = new StringWriter();
      int code = runInProcess(retrainArgs(out, "10m"), err);

      assertThat(code).as(err.toString()).isEqualTo(ExitCode.LOCKED.code());
      assertThat(err.toString())
          .contains("another run holds the lock")
          .contains(lock)
          .contains("pid ");
      assertThat(store.folders(versions))
          .as("the refused run wrote no version")
          .containsExactly(version);
      process.kill(); // mid-training: the lock stays behind, the version is unfinished
    }
    assertThat(store.exists(lock)).isTrue();
    assertThat(store.exists(out + "/CURRENT")).isFalse();

    // The next scheduled run, once the dead run's lock has expired (no heartbeat refreshes it any
    // more).
    long lockTime = store.modificationTime(lock);
    Thread.sleep(Math.max(0, lockTime + 3000 - System.currentTimeMillis()));
    StringWriter err = new StringWriter();
    int code = runInProcess(retrainArgs(out, "2s"), err);

    assertThat(code).as(err.toString()).isZero();
    assertThat(store.folders(versions)).as("the same version, finished").containsExactly(version);
    Storage storage = new Storage(spark.sparkContext().hadoopConfiguration());
    VersionStore.Pointer pointer = Json.parse(
        storage.readString(new org.apache.hadoop.fs.Path(out, VersionStore.POINTER)),
        VersionStore.Pointer.class,
        "CURRENT");
    assertThat(pointer.version()).isEqualTo(version);
    ModelMetadata metadata = new ModelStore(storage)
        .loadMetadata(new org.apache.hadoop.fs.Path(versions + "/" + version + "/model"));
    assertThat(metadata.modelVersion()).isEqualTo(version);
    assertThat(metadata.training().resumedFromEpoch())
        .as("resumed from the killed run's checkpoint")
        .isPositive();
    assertThat(metadata.history()).extracting(m -> m.epoch()).containsExactly(1, 2, 3, 4, 5, 6);
    assertThat(store.exists(lock)).isFalse();
    assertThat(store.exists(out + "/embeddings/model_version=" + version + "/_SUCCESS"))
        .isTrue();
  }
}
