package org.vaespark.storage;

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
import org.vaespark.dataset.MnistDataset;
import org.vaespark.error.ExitCode;
import org.vaespark.io.Storage;
import org.vaespark.testing.CliProcess;
import org.vaespark.testing.SparkTestBase;
import org.vaespark.testing.TestData;
import org.vaespark.testing.TestStores;
import picocli.CommandLine;

/**
 * A job killed (SIGKILL) while it copies its output into place on an S3-compatible server, where a rename is a
 * copy of every file. The job runs in a JVM of its own that pauses after copying three files (the test-only
 * property {@value Storage#PAUSE_PROPERTY}), so the kill lands mid-publication every time, here while it replaces a
 * published dataset with a larger one (--overwrite). While it is paused and after it is killed, a reader
 * ({@code train}) refuses the output by name and writes nothing; the next run replaces the half-copied output and
 * readers accept it. (StoragePublicationTest covers the same states on the local disk, without a kill.)
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class S3PublicationTest extends SparkTestBase {
  private static final int PAUSE_AFTER = 3;

  @TempDir
  static Path dir;

  private final TestStores.S3Store store = TestStores.s3();
  private String small;
  private String large;

  @BeforeAll
  void reachTheStoreAndUploadTwoInputs() throws Exception {
    store.configure(spark.sparkContext().hadoopConfiguration());
    small = upload("small", TestData.writeSample(dir.resolve("small"), 300, 100, true));
    large = upload("large", TestData.writeSample(dir.resolve("large"), 400, 200, true));
  }

  private String upload(String name, Path local) throws Exception {
    String uri = store.root(name);
    FileSystem fs = store.fs(uri);
    fs.copyFromLocalFile(
        new org.apache.hadoop.fs.Path(local.toUri()), new org.apache.hadoop.fs.Path(uri));
    return uri;
  }

  private List<String> args(String command, String input, String root, String... extra) {
    List<String> args = new ArrayList<>(List.of(command, "--input", input, "--output", root));
    args.addAll(store.options(dir));
    args.addAll(List.of("--set", "vae.prepare.shards=2", "--set", "vae.training.epochs=1"));
    args.addAll(List.of(extra));
    return args;
  }

  private record Outcome(int code, String err) {}

  private Outcome run(List<String> args) {
    StringWriter err = new StringWriter();
    CommandLine cli = VaeCli.commandLine();
    cli.setOut(new PrintWriter(new StringWriter()));
    cli.setErr(new PrintWriter(err));
    return new Outcome(cli.execute(args.toArray(String[]::new)), err.toString());
  }

  /** prepare in its own JVM, paused mid-publication: returns once it has copied {@link #PAUSE_AFTER} files. */
  private CliProcess pausedPrepare(String input, String root, String... extra) throws Exception {
    CliProcess process = CliProcess.start(
        dir.resolve("prepare-" + root.substring(root.lastIndexOf('/') + 1) + ".log"),
        List.of("-D" + Storage.PAUSE_PROPERTY + "=" + PAUSE_AFTER),
        store.environment(),
        args("prepare", input, root, extra).toArray(String[]::new));
    process.await(
        "the pause in publication",
        () -> process.log().contains("paused after " + PAUSE_AFTER + " files"),
        300);
    return process;
  }

  /** train, reading the dataset: refused by name, and nothing written. */
  private void assertReaderRefuses(String root) {
    Outcome outcome = run(args("train", small, root));
    assertThat(outcome.code()).as(outcome.err()).isEqualTo(ExitCode.BAD_INPUT.code());
    assertThat(outcome.err())
        .startsWith("error: dataset at " + root + "/dataset is half-copied")
        .contains("died midway")
        .doesNotContain("\tat ");
    assertThat(store.exists(root + "/model")).isFalse();
    assertThat(store.exists(root + "/checkpoints")).isFalse();
  }

  /** The dataset's files while it is half-copied: the marker of the copy, some data, no _SUCCESS. */
  private void assertHalfCopied(String root) {
    List<String> files = store.files(root + "/dataset");
    assertThat(files).contains(Storage.PUBLISHING).doesNotContain(Storage.SUCCESS);
    assertThat(files).as("the files copied before the pause").hasSize(PAUSE_AFTER + 1);
    assertThat(store.folders(root))
        .as("the staging folder is hidden from readers of the parent")
        .allMatch(name -> name.equals("dataset") || name.startsWith(".dataset.staging-"));
  }

  private MnistDataset.Manifest readable(String root) {
    return MnistDataset.open(
            new Storage(spark.sparkContext().hadoopConfiguration()), root + "/dataset")
        .manifest();
  }

  @Test
  void anOverwriteKilledMidwayIsRefusedByReadersAndReplacedByTheNextRun() throws Exception {
    String root = store.root("overwrite");
    Outcome first = run(args("prepare", small, root));
    assertThat(first.code()).as(first.err()).isZero();
    assertThat(readable(root).trainExamples()).isEqualTo(300);

    try (CliProcess prepare = pausedPrepare(large, root, "--overwrite")) {
      assertHalfCopied(root);
      assertReaderRefuses(root); // never the old dataset's files mixed with the new one's
      prepare.kill();
    }
    assertHalfCopied(root);
    assertReaderRefuses(root);

    // The next run needs no --overwrite to replace what the killed one half-copied.
    Outcome again = run(args("prepare", large, root));
    assertThat(again.code()).as(again.err()).isZero();
    assertThat(readable(root).trainExamples()).isEqualTo(400);
    assertThat(store.files(root + "/dataset")).doesNotContain(Storage.PUBLISHING);
  }
}
