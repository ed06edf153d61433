package org.vaespark.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.vaespark.error.InputFileException;
import org.vaespark.error.OutputExistsException;
import org.vaespark.error.StorageException;

/**
 * {@link Storage}'s two ways to publish, on the local disk: by one rename ("atomic", as on HDFS) and by copying
 * file by file with {@code _SUCCESS} last (as on S3: here the local disk is declared not atomic). S3PublicationTest
 * kills a job midway through the second on a real S3 server.
 */
class StoragePublicationTest {
  @TempDir
  Path dir;

  private Storage storage(boolean atomic) {
    return new Storage(new Configuration(), atomic ? List.of("file") : List.of("hdfs"));
  }

  private org.apache.hadoop.fs.Path path(String relative) {
    return new org.apache.hadoop.fs.Path(dir.resolve(relative).toString());
  }

  /** Two files, one in a subfolder, and Spark's own empty _SUCCESS at the top. */
  private void writeOutput(Storage storage, org.apache.hadoop.fs.Path staging, String content) {
    storage.writeString(new org.apache.hadoop.fs.Path(staging, "a.json"), content);
    storage.writeString(new org.apache.hadoop.fs.Path(staging, "part/b.bin"), content + content);
    storage.writeString(new org.apache.hadoop.fs.Path(staging, Storage.SUCCESS), "");
  }

  private PublishedFiles marker(Storage storage, String folder) {
    return Json.parse(
        storage.readString(new org.apache.hadoop.fs.Path(path(folder), Storage.SUCCESS)),
        PublishedFiles.class,
        folder);
  }

  @ParameterizedTest
  @ValueSource(booleans = {true, false})
  void successListsEveryFileAndNothingElseStaysBehind(boolean atomic) throws Exception {
    Storage storage = storage(atomic);
    storage.publish(path("out/x"), false, staging -> writeOutput(storage, staging, "one"));

    assertThat(marker(storage, "out/x").files())
        .containsExactly(
            new PublishedFiles.Entry("a.json", 3), new PublishedFiles.Entry("part/b.bin", 6));
    assertThat(dir.resolve("out/x/" + Storage.PUBLISHING)).doesNotExist();
    try (var entries = Files.list(dir.resolve("out"))) {
      assertThat(entries.map(p -> p.getFileName().toString()))
          .as("no staging folder")
          .containsExactly("x");
    }
    storage.requirePublished(path("out/x"), "output", "job");

    assertThatThrownBy(() -> storage.checkWritable(path("out/x"), false, "output"))
        .isInstanceOf(OutputExistsException.class)
        .hasMessageContaining("output already exists at");
    storage.publish(path("out/x"), true, staging -> writeOutput(storage, staging, "second"));
    assertThat(Files.readString(dir.resolve("out/x/a.json"))).isEqualTo("second");
    assertThat(marker(storage, "out/x").files())
        .containsExactly(
            new PublishedFiles.Entry("a.json", 6), new PublishedFiles.Entry("part/b.bin", 12));
  }

  @ParameterizedTest
  @ValueSource(booleans = {true, false})
  void aFailingOutputLeavesThePublishedOneAsItWas(boolean atomic) throws Exception {
    Storage storage = storage(atomic);
    storage.publish(path("out/x"), false, staging -> writeOutput(storage, staging, "one"));
    assertThatThrownBy(() -> storage.publish(path("out/x"), true, staging -> {
          writeOutput(storage, staging, "two");
          throw new IllegalStateException("the job failed");
        }))
        .hasMessage("the job failed");
    assertThat(Files.readString(dir.resolve("out/x/a.json"))).isEqualTo("one");
    try (var entries = Files.list(dir.resolve("out"))) {
      assertThat(entries.map(p -> p.getFileName().toString())).containsExactly("x");
    }
  }

  /** What a job killed while copying an output into place on an object store leaves behind. */
  private void halfCopied(String folder) throws Exception {
    Files.createDirectories(dir.resolve(folder + "/part"));
    Files.writeString(dir.resolve(folder + "/a.json"), "one");
    Files.writeString(dir.resolve(folder + "/" + Storage.PUBLISHING), "being copied");
  }

  @Test
  void aHalfCopiedOutputIsRefusedByNameAndReplacedByTheNextRun() throws Exception {
    Storage storage = storage(false);
    halfCopied("out/x");

    assertThat(storage.isHalfCopied(path("out/x"))).isTrue();
    assertThatThrownBy(() -> storage.requirePublished(path("out/x"), "dataset", "prepare"))
        .isInstanceOf(InputFileException.class)
        .hasMessageContaining("dataset at " + path("out/x") + " is half-copied")
        .hasMessageContaining("the 'prepare' run that published it died midway");
    storage.checkWritable(path("out/x"), false, "dataset"); // no --overwrite needed

    storage.publish(path("out/x"), false, staging -> writeOutput(storage, staging, "new"));
    storage.requirePublished(path("out/x"), "dataset", "prepare");
    assertThat(Files.readString(dir.resolve("out/x/part/b.bin"))).isEqualTo("newnew");
    assertThat(dir.resolve("out/x/" + Storage.PUBLISHING)).doesNotExist();
  }

  @Test
  void aFolderWithoutAnyMarkerIsNotReplacedWithoutOverwrite() throws Exception {
    Storage storage = storage(false);
    Files.createDirectories(dir.resolve("out/x"));
    Files.writeString(dir.resolve("out/x/notes.txt"), "someone's files");
    assertThatThrownBy(() -> storage.checkWritable(path("out/x"), false, "dataset"))
        .isInstanceOf(OutputExistsException.class)
        .hasMessageContaining("without _SUCCESS: not a finished output")
        .hasMessageContaining("--overwrite");
  }

  @Test
  void aFileThatSuccessListsButIsGoneIsNamed() throws Exception {
    Storage storage = storage(false);
    storage.publish(path("out/x"), false, staging -> writeOutput(storage, staging, "one"));
    Files.delete(dir.resolve("out/x/part/b.bin"));
    assertThatThrownBy(() -> storage.requirePublished(path("out/x"), "model", "train"))
        .isInstanceOf(InputFileException.class)
        .hasMessageContaining("model at " + path("out/x") + " is incomplete: part/b.bin is missing")
        .hasMessageContaining("run 'train' again");
  }

  @ParameterizedTest
  @ValueSource(booleans = {true, false})
  void replaceLeavesTheNewContentAndNoTemporaryFile(boolean atomic) throws Exception {
    Storage storage = storage(atomic);
    storage.replace(path("out/CURRENT"), "old");
    storage.replace(path("out/CURRENT"), "new");
    assertThat(Files.readString(dir.resolve("out/CURRENT"))).isEqualTo("new");
    try (var entries = Files.list(dir.resolve("out"))) {
      assertThat(entries.map(p -> p.getFileName().toString()))
          .allMatch(n -> n.equals("CURRENT") || n.equals(".CURRENT.crc"));
    }
  }

  @Test
  void aSchemeWithoutAFileSystemNamesTheJarItNeeds() {
    Storage storage = storage(true);
    assertThatThrownBy(() -> storage.exists(new org.apache.hadoop.fs.Path("gs://bucket/out")))
        .isInstanceOf(StorageException.class)
        .hasMessageContaining(
            "gs://bucket/out: no file system for the scheme 'gs' on the classpath")
        .hasMessageContaining("gcs-connector");
    assertThatThrownBy(
            () -> storage.exists(new org.apache.hadoop.fs.Path("abfs://c@a.dfs.example/out")))
        .hasMessageContaining("scheme 'abfs'")
        .hasMessageContaining("org.apache.hadoop:hadoop-azure:3.3.4");
    assertThatThrownBy(() -> storage.exists(new org.apache.hadoop.fs.Path("nosuchfs://x/out")))
        .hasMessageContaining("scheme 'nosuchfs'")
        .hasMessageContaining("fs.nosuchfs.impl");
    assertThat(StorageProblems.jarFor("s3a"))
        .contains("org.apache.hadoop:hadoop-aws:3.3.4")
        .contains("--packages");
  }
}
