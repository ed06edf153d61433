package org.vaespark.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.vaespark.cli.VaeCli;
import org.vaespark.io.Json;
import org.vaespark.io.PublishedFiles;
import org.vaespark.io.Storage;
import org.vaespark.model.ModelMetadata;
import org.vaespark.model.ModelStore;
import org.vaespark.retrain.VersionStore;
import org.vaespark.testing.SparkTestBase;
import org.vaespark.testing.TestData;
import org.vaespark.testing.TestStore;
import picocli.CommandLine;

/**
 * Every command of the tool with every path on one real file system: {@code prepare}, {@code train},
 * {@code generate}, {@code evaluate}, {@code prepare --overwrite} and {@code retrain}, through the command line,
 * reading the IDX files from the store too. Each output must be published (a {@code _SUCCESS} that lists its
 * files), readable by Spark from the store, and no staging folder may stay behind.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class StoragePipelineContract extends SparkTestBase {
  @TempDir
  static Path dir;

  private TestStore store;
  private String idx;

  abstract TestStore store();

  /** Settings the store needs for retrain (S3: the scheduler prevents overlap). */
  List<String> retrainSettings() {
    return List.of();
  }

  @BeforeAll
  void reachTheStoreAndUploadTheInput() throws IOException {
    store = store();
    store.configure(spark.sparkContext().hadoopConfiguration());
    Path local = TestData.writeSample(dir.resolve("idx"), 400, 200, true);
    idx = store.root("idx");
    FileSystem fs = store.fs(idx);
    fs.copyFromLocalFile(
        new org.apache.hadoop.fs.Path(local.toUri()), new org.apache.hadoop.fs.Path(idx));
  }

  record Outcome(int code, String out, String err) {}

  Outcome run(String command, String root, String... extra) {
    List<String> args = new ArrayList<>(List.of(command, "--input", idx, "--output", root));
    args.addAll(store.options(dir));
    for (String setting : new String[] {
      "vae.training.epochs=2",
      "vae.training.batch-size-per-worker=32",
      "vae.training.workers=2",
      "vae.prepare.shards=2",
      "vae.generate.samples=4",
      "vae.generate.reconstructions=4",
      "vae.evaluate.importance-samples=5",
      "vae.evaluate.embedding-test-samples=2",
      "vae.evaluate.embedding-train-samples=1"
    }) {
      args.addAll(List.of("--set", setting));
    }
    args.addAll(List.of(extra));
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cli = VaeCli.commandLine();
    cli.setOut(new PrintWriter(out));
    cli.setErr(new PrintWriter(err));
    long t0 = System.nanoTime();
    int code = cli.execute(args.toArray(String[]::new));
    System.out.printf(
        "%s on %s: exit %d in %.1f s%n",
        command, store.name(), code, (System.nanoTime() - t0) / 1e9);
    return new Outcome(code, out.toString(), err.toString());
  }

  private Storage storage() {
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    return new Storage(conf);
  }

  /** The output is published: its _SUCCESS lists exactly the files beside it. */
  private void assertPublished(String folder) {
    List<String> files = store.files(folder);
    assertThat(files).as(folder).contains(Storage.SUCCESS).doesNotContain(Storage.PUBLISHING);
    PublishedFiles listed = Json.parse(
        storage().readString(new org.apache.hadoop.fs.Path(folder, Storage.SUCCESS)),
        PublishedFiles.class,
        folder);
    List<String> data = new ArrayList<>(files);
    data.remove(Storage.SUCCESS);
    assertThat(listed.files())
        .extracting(PublishedFiles.Entry::path)
        .containsExactlyElementsOf(data);
  }

  private void assertNoStagingLeft(String root) {
    assertThat(store.files(root))
        .as("no staging folder under " + root)
        .noneMatch(f -> f.startsWith(".") || f.contains("/."));
  }

  private static void assertSucceeded(Outcome outcome) {
    assertThat(outcome.code()).as(outcome.err()).isZero();
  }

  @Test
  void everyCommandReadsAndPublishesOnTheStore() throws Exception {
    String root = store.root("pipeline");
    assertSucceeded(run("prepare", root));
    assertPublished(root + "/dataset");
    assertThat(store.files(root + "/dataset"))
        .contains("manifest.json")
        .anyMatch(f -> f.startsWith("train/part-"))
        .anyMatch(f -> f.startsWith("test/part-"));

    assertSucceeded(run("train", root));
    assertPublished(root + "/model");
    assertThat(store.files(root + "/model"))
        .contains("model.zip", "metadata.json", "metrics.jsonl");
    assertThat(store.exists(root + "/checkpoints"))
        .as("checkpoints removed once published")
        .isFalse();

    assertSucceeded(run("generate", root));
    assertPublished(root + "/generated");
    assertThat(spark.read().parquet(root + "/generated/embeddings").count()).isEqualTo(600);

    assertSucceeded(run("evaluate", root));
    assertPublished(root + "/evaluation");
    ModelMetadata metadata =
        new ModelStore(storage()).loadMetadata(new org.apache.hadoop.fs.Path(root + "/model"));
    assertThat(metadata.evaluation())
        .as("evaluate records itself in metadata.json")
        .isNotNull();

    Outcome again = run("prepare", root);
    assertThat(again.code()).isEqualTo(2);
    assertThat(again.err()).contains("dataset already exists at").contains("--overwrite");
    assertSucceeded(run("prepare", root, "--overwrite"));
    assertPublished(root + "/dataset");
    assertNoStagingLeft(root);

    String scheduled = store.root("retrain");
    assertSucceeded(run("retrain", scheduled, retrainSettings().toArray(String[]::new)));
    VersionStore.Pointer pointer = Json.parse(
        storage().readString(new org.apache.hadoop.fs.Path(scheduled, VersionStore.POINTER)),
        VersionStore.Pointer.class,
        "CURRENT");
    assertPublished(scheduled + "/versions/" + pointer.version() + "/model");
    assertPublished(scheduled + "/embeddings/model_version=" + pointer.version());
    assertThat(spark
            .read()
            .parquet(scheduled + "/embeddings")
            .where("model_version = '" + pointer.version() + "'")
            .count())
        .isEqualTo(600);
    assertThat(store.exists(scheduled + "/_LOCK")).as("the lock is released").isFalse();
    assertNoStagingLeft(scheduled);
  }
}
