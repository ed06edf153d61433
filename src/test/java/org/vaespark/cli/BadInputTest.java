package org.vaespark.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.apache.commons.io.FileUtils;
import org.apache.spark.SparkException;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.variational.BernoulliReconstructionDistribution;
import org.deeplearning4j.nn.conf.layers.variational.VariationalAutoencoder;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.activations.Activation;
import org.vaespark.error.ExitCode;
import org.vaespark.model.ModelStore;
import org.vaespark.testing.SparkTestBase;
import org.vaespark.testing.TestData;
import picocli.CommandLine;

/**
 * Bad Parquet input, bad models and bad settings given to {@code train} and {@code generate} through the real
 * command line: each exits with exit code 2 ({@link ExitCode#BAD_INPUT}), names the thing and the problem, and leaves no
 * output and no staging folder behind. (Every check of IDX files, image folders and Parquet tables:
 * {@code IdxSourceTest}, {@code ImageFolderSourceTest}, {@code ParquetSourceTest}; here, one of each kind through
 * the command line.)
 */
class BadInputTest extends SparkTestBase {
  @TempDir
  static Path dir;

  private static Path good;

  private record Outcome(int code, String err) {}

  @BeforeAll
  static void trainOneEpoch() {
    Path input = TestData.writeSample(dir.resolve("idx"), 200, 100, false);
    good = dir.resolve("good");
    Outcome outcome = run(
        "pipeline",
        "--input",
        input.toString(),
        "--output",
        good.toString(),
        "--set",
        "vae.training.epochs=1",
        "--set",
        "vae.training.batch-size-per-worker=32",
        "--set",
        "vae.prepare.shards=2",
        "--set",
        "vae.generate.samples=4",
        "--set",
        "vae.generate.reconstructions=4");
    assertThat(outcome.code()).as(outcome.err()).isZero();
  }

  private static Outcome run(String... args) {
    StringWriter err = new StringWriter();
    CommandLine cli = VaeCli.commandLine();
    cli.setOut(new PrintWriter(new StringWriter()));
    cli.setErr(new PrintWriter(err));
    int code = cli.execute(args);
    return new Outcome(code, err.toString());
  }

  /** Runs {@code command} on the output root {@code out}; {@code generate} uses the good model unless out has one. */
  private static Outcome runOn(String command, Path out, String... extra) {
    List<String> args = new ArrayList<>(List.of(command, "--output", out.toString()));
    if ((command.equals("generate") || command.equals("evaluate"))
        && !Files.exists(out.resolve("model"))) {
      args.addAll(List.of("--set", "vae.paths.model=" + good.resolve("model")));
    }
    args.addAll(List.of(extra));
    return run(args.toArray(String[]::new));
  }

  /** A copy of the good dataset under a fresh output root, changed by {@code change}. */
  private static Path datasetCopy(String name, UnaryOperator<Path> change) {
    Path out = dir.resolve(name);
    try {
      FileUtils.copyDirectory(
          good.resolve("dataset").toFile(), out.resolve("dataset").toFile());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    change.apply(out.resolve("dataset"));
    return out;
  }

  /**
   * Replaces one split with {@code rewrite} of it, keeping the manifest and an empty {@code _SUCCESS}: a dataset
   * not written by this version's {@code prepare} (whose {@code _SUCCESS} would list the old shards), marked as
   * earlier versions marked theirs, so that the dataset's own checks of its content are reached.
   */
  private static Path withSplit(
      String name, String split, Function<Dataset<Row>, Dataset<Row>> rewrite) {
    return datasetCopy(name, dataset -> {
      Dataset<Row> rows =
          spark.read().parquet(good.resolve("dataset").resolve(split).toString());
      FileUtils.deleteQuietly(dataset.resolve(split).toFile());
      rewrite.apply(rows).write().parquet(dataset.resolve(split).toString());
      return markedAsEarlierVersionsDid(dataset);
    });
  }

  /** An empty {@code _SUCCESS}, as versions before the listing marker wrote it (and as Spark writes it). */
  private static Path markedAsEarlierVersionsDid(Path folder) {
    try {
      Files.writeString(folder.resolve("_SUCCESS"), "");
      Files.deleteIfExists(folder.resolve("._SUCCESS.crc"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return folder;
  }

  private static void assertRefused(Outcome outcome, Path out, String... messageParts) {
    assertThat(outcome.code()).as(outcome.err()).isEqualTo(ExitCode.BAD_INPUT.code());
    assertThat(outcome.err()).startsWith("error: ").contains(messageParts).doesNotContain("\tat ");
    for (String output : new String[] {"generated", "checkpoints", "evaluation"}) {
      assertThat(out.resolve(output)).as(output + " not written").doesNotExist();
    }
    if (Files.exists(out)) {
      try (Stream<Path> entries = Files.list(out)) {
        assertThat(entries.map(p -> p.getFileName().toString()))
            .as("no staging folder left")
            .noneMatch(n -> n.startsWith("."));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"train", "generate"})
  void missingDataset(String command) {
    Path out = dir.resolve("no-dataset-" + command);
    assertRefused(runOn(command, out), out, "dataset not found at", "run 'prepare' first");
  }

  @ParameterizedTest
  @ValueSource(strings = {"train", "generate"})
  void datasetWithoutSuccessMarker(String command) {
    Path out = datasetCopy("unfinished-" + command, d -> {
      FileUtils.deleteQuietly(d.resolve("_SUCCESS").toFile());
      return d;
    });
    assertRefused(runOn(command, out), out, "has no _SUCCESS marker", "did not finish");
  }

  @ParameterizedTest
  @ValueSource(strings = {"train", "generate"})
  void splitMissingAColumn(String command) {
    Path out = withSplit("no-pixels-" + command, "train", rows -> rows.drop("pixels"));
    assertRefused(
        runOn(command, out), out, "train", "column 'pixels' is missing", "expected schema");
  }

  @ParameterizedTest
  @ValueSource(strings = {"train", "generate"})
  void columnOfTheWrongType(String command) {
    Path out = withSplit(
        "label-as-string-" + command,
        "test",
        rows -> rows.withColumn("label", rows.col("label").cast("string")));
    assertRefused(runOn(command, out), out, "column 'label' has type string, expected int");
  }

  @ParameterizedTest
  @ValueSource(strings = {"train", "generate"})
  void emptySplit(String command) {
    Path out = withSplit("empty-test-" + command, "test", rows -> rows.limit(0));
    assertRefused(runOn(command, out), out, "dataset split 'test'", "has no rows");
  }

  /** A split's first shard (a Parquet part file) of a dataset copy. */
  private static Path firstShard(Path dataset, String split) {
    try (Stream<Path> files = Files.list(dataset.resolve(split))) {
      return files
          .filter(f -> f.getFileName().toString().startsWith("part-"))
          .sorted()
          .findFirst()
          .orElseThrow();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Removes the first shard of {@code split}, with Hadoop's local checksum file of it. */
  private static Path withoutFirstShard(Path dataset, String split) {
    Path shard = firstShard(dataset, split);
    FileUtils.deleteQuietly(shard.toFile());
    FileUtils.deleteQuietly(
        shard.resolveSibling("." + shard.getFileName() + ".crc").toFile());
    return dataset;
  }

  /** The _SUCCESS that prepare publishes lists every shard: the missing one is named before any read. */
  @ParameterizedTest
  @ValueSource(strings = {"train", "generate", "evaluate"})
  void aShardRemovedAfterPublicationIsMissingFromWhatSuccessLists(String command) {
    Path out = datasetCopy("unlisted-shard-" + command, d -> withoutFirstShard(d, "train"));
    assertRefused(
        runOn(command, out),
        out,
        "dataset at " + out.resolve("dataset"),
        "is incomplete: train/part-",
        "is missing",
        "run 'prepare' again");
  }

  /**
   * A dataset of an earlier version (its _SUCCESS lists nothing): the shard counts against manifest.json still
   * catch a removed shard; evaluate reads only the held-out split, so its shard goes missing there.
   */
  @ParameterizedTest
  @CsvSource({"train, train, 200", "generate, train, 200", "evaluate, test, 100"})
  void aShardRemovedAfterPublication(String command, String split, int declared) {
    Path out = datasetCopy(
        "missing-shard-" + command, d -> markedAsEarlierVersionsDid(withoutFirstShard(d, split)));
    assertRefused(
        runOn(command, out),
        out,
        "dataset split '" + split + "'",
        "examples, but",
        "manifest.json says " + declared,
        "a shard is missing or was changed after 'prepare'");
  }

  @ParameterizedTest
  @ValueSource(strings = {"train", "generate"})
  void aDamagedShard(String command) {
    Path out = datasetCopy("damaged-shard-" + command, d -> {
      Path shard = firstShard(d, "train");
      try {
        Files.write(shard, "not parquet at all".getBytes(StandardCharsets.UTF_8));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      FileUtils.deleteQuietly(
          shard.resolveSibling("." + shard.getFileName() + ".crc").toFile());
      return d;
    });
    assertRefused(
        runOn(command, out), out, "dataset split 'train'", "cannot be read", "run 'prepare' again");
  }

  @ParameterizedTest
  @ValueSource(strings = {"train", "generate"})
  void aManifestWhoseCountsDisagreeWithTheShards(String command) {
    Path out = datasetCopy("manifest-disagrees-" + command, d -> {
      try {
        Path manifest = d.resolve("manifest.json");
        Files.writeString(
            manifest,
            Files.readString(manifest)
                .replace("\"train_examples\" : 200", "\"train_examples\" : 250"));
        Files.deleteIfExists(d.resolve(".manifest.json.crc"));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return d;
    });
    assertRefused(runOn(command, out), out, "holds 200 examples, but", "manifest.json says 250");
  }

  @Test
  void retrainRefusesOverwrite() {
    Path out = dir.resolve("retrain-overwrite");
    assertRefused(
        run("retrain", "--output", out.toString(), "--overwrite"),
        out,
        "retrain does not take --overwrite",
        "drop the option");
    assertThat(out.resolve("versions")).doesNotExist();
  }

  @Test
  void missingModel() {
    Path out = datasetCopy("no-model", d -> d);
    assertRefused(
        runOn("generate", out, "--set", "vae.paths.model=" + dir.resolve("nowhere")),
        out,
        "model not found at",
        "nowhere",
        "run 'train' first");
  }

  /** {@code score} refused: exit 2, the message, and no scored table or staging folder. */
  private static void assertScoreRefused(Outcome outcome, Path out, String... messageParts) {
    assertRefused(outcome, out, messageParts);
    assertThat(out.resolve("scored")).as("no scored table").doesNotExist();
  }

  @Test
  void scoreWithoutAModel() {
    Path out = datasetCopy("score-no-model", d -> d);
    assertScoreRefused(
        run(
            "score",
            "--output",
            out.toString(),
            "--set",
            "vae.score.source=dataset",
            "--model",
            dir.resolve("nowhere").toString()),
        out,
        "model not found at",
        "nowhere",
        "run 'train' first");
    assertScoreRefused(
        run(
            "score",
            "--output",
            out.toString(),
            "--set",
            "vae.score.source=dataset",
            "--model",
            "current"),
        out,
        "CURRENT does not exist",
        "run retrain first");
  }

  @Test
  void scoreWithAModelOfAnotherImageSize() throws IOException {
    Path out = modelCopy("score-other-size", m -> {
      try {
        writeModelOf100Inputs(m.resolve("model.zip"));
        Files.deleteIfExists(m.resolve(".model.zip.crc"));
        Path metadata = m.resolve("metadata.json");
        Files.writeString(
            metadata,
            Files.readString(metadata)
                .replace("\"rows\" : 28", "\"rows\" : 10")
                .replace("\"cols\" : 28", "\"cols\" : 10"));
        Files.deleteIfExists(m.resolve(".metadata.json.crc"));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return m;
    });
    assertScoreRefused(
        run(
            "score",
            "--output",
            out.toString(),
            "--set",
            "vae.score.source=dataset",
            "--model",
            out.resolve("model").toString()),
        out,
        "the model takes 10x10 images, but the dataset at",
        "holds 28x28 images");
  }

  @Test
  void scoreAnEmptyInput() {
    Path table = dir.resolve("empty-table");
    spark
        .createDataFrame(
            List.of(),
            new org.apache.spark.sql.types.StructType()
                .add("image", org.apache.spark.sql.types.DataTypes.BinaryType)
                .add("label", org.apache.spark.sql.types.DataTypes.IntegerType))
        .write()
        .parquet(table.toString());
    Path out = dir.resolve("score-empty");
    assertScoreRefused(
        run(
            "score",
            "--input",
            table.toString(),
            "--output",
            out.toString(),
            "--model",
            good.resolve("model").toString()),
        out,
        "holds no images",
        "nothing was written");
  }

  @Test
  void truncatedModelZip() throws IOException {
    Path out = datasetCopy("truncated-model", d -> d);
    FileUtils.copyDirectory(good.resolve("model").toFile(), out.resolve("model").toFile());
    Path zip = out.resolve("model/model.zip");
    byte[] bytes = Files.readAllBytes(zip);
    Files.write(zip, Arrays.copyOf(bytes, bytes.length / 2));
    Files.deleteIfExists(out.resolve(
        "model/.model.zip.crc")); // so that DL4J, not Hadoop's checksum, meets the damage
    assertRefused(
        runOn("generate", out),
        out,
        "model.zip",
        "not a readable DL4J model",
        "corrupt or truncated");
  }

  @Test
  void modelWhoseLatentSizeDisagreesWithTheConfig() {
    Path out = datasetCopy("latent-mismatch", d -> d);
    assertRefused(
        runOn("generate", out, "--set", "vae.model.latent-size=8"),
        out,
        "model latent size is 20, but vae.model.latent-size = 8");
  }

  /** A valid DL4J VAE whose input size (100) is not MNIST's 784, as model.zip. */
  private static void writeModelOf100Inputs(Path zip) throws IOException {
    MultiLayerNetwork foreign = new MultiLayerNetwork(new NeuralNetConfiguration.Builder()
        .list()
        .layer(new VariationalAutoencoder.Builder()
            .nIn(100)
            .nOut(20)
            .encoderLayerSizes(50)
            .decoderLayerSizes(50)
            .reconstructionDistribution(new BernoulliReconstructionDistribution(Activation.SIGMOID))
            .build())
        .build());
    foreign.init();
    Files.write(zip, ModelStore.serialize(foreign));
  }

  @Test
  void modelWhoseInputSizeDisagreesWithTheData() throws IOException {
    Path out = datasetCopy("input-mismatch", d -> d);
    FileUtils.copyDirectory(good.resolve("model").toFile(), out.resolve("model").toFile());
    writeModelOf100Inputs(out.resolve("model/model.zip"));
    Files.deleteIfExists(
        out.resolve("model/.model.zip.crc")); // Hadoop's local checksum of the file replaced
    assertRefused(
        runOn("generate", out),
        out,
        "model input size is 100, but the data has 784 pixels per example");
  }

  /** A copy of the good dataset and model under a fresh output root, the model folder changed by {@code change}. */
  private static Path modelCopy(String name, UnaryOperator<Path> change) throws IOException {
    Path out = datasetCopy(name, d -> d);
    FileUtils.copyDirectory(good.resolve("model").toFile(), out.resolve("model").toFile());
    change.apply(out.resolve("model"));
    return out;
  }

  @Test
  void evaluateAModelFolderWithoutModelZip() throws IOException {
    Path out = modelCopy("evaluate-no-zip", m -> {
      FileUtils.deleteQuietly(m.resolve("model.zip").toFile());
      return m;
    });
    assertRefused(
        runOn("evaluate", out),
        out,
        "model at " + out.resolve("model"),
        "is incomplete: model.zip is missing");
    Path earlier = modelCopy("evaluate-no-zip-earlier", m -> {
      FileUtils.deleteQuietly(m.resolve("model.zip").toFile());
      return markedAsEarlierVersionsDid(m);
    });
    assertRefused(
        runOn("evaluate", earlier),
        earlier,
        "model.zip: model file not found in the published model folder");
  }

  @Test
  void evaluateACorruptModelZip() throws IOException {
    Path out = modelCopy("evaluate-corrupt-zip", m -> m);
    Files.write(
        out.resolve("model/model.zip"), "this is not a zip file".getBytes(StandardCharsets.UTF_8));
    Files.deleteIfExists(out.resolve("model/.model.zip.crc"));
    assertRefused(
        runOn("evaluate", out),
        out,
        "model.zip",
        "not a readable DL4J model",
        "corrupt or truncated");
  }

  @Test
  void evaluateAModelWhoseInputSizeDisagreesWithTheData() throws IOException {
    Path out = modelCopy("evaluate-input-mismatch", m -> m);
    writeModelOf100Inputs(out.resolve("model/model.zip"));
    Files.deleteIfExists(out.resolve("model/.model.zip.crc"));
    assertRefused(
        runOn("evaluate", out), out, "model input size is 100", "has 784 pixels per example");
  }

  @ParameterizedTest
  @ValueSource(strings = {"0", "-5"})
  void evaluateWithANonPositiveNumberOfImportanceSamples(String k) throws IOException {
    Path out = modelCopy("evaluate-k" + k, m -> m);
    assertRefused(
        runOn("evaluate", out, "--set", "vae.evaluate.importance-samples=" + k),
        out,
        "vae.evaluate.importance-samples = " + k + " is out of range",
        "at least 1 sample per example");
  }

  @Test
  void batchLargerThanTheData() {
    Path out = datasetCopy("big-batch", d -> d);
    assertRefused(
        runOn("train", out, "--set", "vae.training.batch-size-per-worker=5000"),
        out,
        "vae.training.batch-size-per-worker = 5000 is larger than the 200 training examples");
    assertThat(out.resolve("model")).doesNotExist();
  }

  @Test
  void moreWorkersThanTaskSlots() {
    Path out = datasetCopy("too-many-workers", d -> d);
    assertRefused(
        runOn("train", out, "--set", "vae.training.workers=3"),
        out,
        "vae.training.workers = 3 needs 3 task slots at once",
        "local[2] has 2");
    assertThat(out.resolve("model")).doesNotExist();
  }

  @Test
  void anUnknownOptionIsBadInputWithTheUsage() {
    Path out = dir.resolve("unknown-option");
    Outcome outcome = runOn("train", out, "--epochs", "5");
    assertRefused(outcome, out, "Unknown options: '--epochs', '5'");
    assertThat(outcome.err()).contains("Usage: spark-vae-mnist train");
  }

  @Test
  void unknownKeyWrongTypeAndZeroSizeNameTheKey() {
    Path out = dir.resolve("bad-config");
    assertRefused(
        runOn("train", out, "--set", "vae.trainng.epochs=5"),
        out,
        "unknown configuration key(s) [vae.trainng.epochs]");
    assertRefused(
        runOn("train", out, "--set", "vae.training.epochs=ten"),
        out,
        "vae.training.epochs",
        "NUMBER");
    assertRefused(
        runOn("train", out, "--set", "vae.model.latent-size=0"),
        out,
        "vae.model.latent-size = 0 is out of range");
  }

  @Test
  void unusableStoragePathsAreNamed() throws IOException {
    assertRefused(
        run(
            "prepare",
            "--input",
            dir.resolve("idx").toString(),
            "--output",
            "nosuchfs://bucket/out"),
        dir.resolve("unused"),
        "nosuchfs://bucket/out",
        "No FileSystem for scheme");
    assertRefused(
        run(
            "prepare",
            "--input",
            dir.resolve("idx").toString(),
            "--output",
            "hdfs://no-such-host.invalid:8020/vae"),
        dir.resolve("unused"),
        "hdfs://no-such-host.invalid:8020/vae",
        "cannot be reached",
        "no-such-host.invalid");
    Path file = Files.writeString(dir.resolve("a-file"), "not a folder");
    assertRefused(
        run("prepare", "--input", dir.resolve("idx").toString(), "--output", file.toString()),
        dir.resolve("unused"),
        file.toString(),
        "cannot create");
  }

  @Test
  void aLabelOutOfRangeFoundByAnExecutorIsBadInputNamingTheFile() {
    Path input = TestData.writeSample(dir.resolve("idx-bad-label"), 60, 20, false);
    byte[] labels = TestData.labels(60);
    labels[47] = 11;
    TestData.writeLabels(input.resolve("train-labels-idx1-ubyte"), labels, false);
    Path out = dir.resolve("bad-label");
    assertRefused(
        run("prepare", "--input", input.toString(), "--output", out.toString()),
        out,
        "train-labels-idx1-ubyte: label 11 at index 47 is outside 0..9");
    assertThat(out.resolve("dataset")).doesNotExist();
  }

  @Test
  void aNonImageFileInAnImageFolderIsBadInputNamingTheFile() throws IOException {
    Path input = dir.resolve("images-with-notes");
    for (int i = 0; i < 8; i++) {
      Files.createDirectories(input.resolve("digits"));
      Files.write(
          input.resolve("digits").resolve(i + ".png"), org.vaespark.testing.TestImages.png(i));
    }
    Files.writeString(input.resolve("digits/README.txt"), "notes");
    Path out = dir.resolve("images-with-notes-out");
    assertRefused(
        run("prepare", "--input", input.toString(), "--output", out.toString()),
        out,
        "README.txt: not an image");
    assertThat(out.resolve("dataset")).doesNotExist();
  }

  @Test
  void aMixedInputAndABadImageSizeAreBadInput() throws IOException {
    Path input = TestData.writeSample(dir.resolve("mixed"), 10, 5, false);
    Files.write(input.resolve("stray.png"), org.vaespark.testing.TestImages.png(0));
    Path out = dir.resolve("mixed-out");
    assertRefused(
        run("prepare", "--input", input.toString(), "--output", out.toString()),
        out,
        "holds more than one kind of input",
        "vae.prepare.input-kind");
    assertRefused(
        run(
            "prepare",
            "--input",
            input.toString(),
            "--output",
            out.toString(),
            "--set",
            "vae.prepare.image-size=64"),
        out,
        "vae.prepare.image-size = \"64\" is not an image size");
  }

  @Test
  void aNativeBackendThatCannotLoadOnAnExecutorIsNamedAsSuch() {
    // What the CUDA jar on a node without an NVIDIA driver reports through Spark (seen on this
    // project's CI machine).
    Exception fromSpark = new SparkException(
        "Job aborted due to stage failure: Task serialization failed: java.lang.ExceptionInInitializerError\n"
            + "Caused by: org.nd4j.linalg.factory.Nd4jBackend$NoAvailableBackendException: Please ensure that you have an nd4j backend");
    assertThat(ExitCodes.backendFailure(new RuntimeException("wrapped", fromSpark)))
        .contains("NoAvailableBackendException");
    assertThat(ExitCodes.backendFailure(
            new UnsatisfiedLinkError("libcuda.so.1: cannot open shared object file")))
        .contains("libcuda.so.1");
    assertThat(ExitCodes.backendFailure(new IllegalStateException("something else")))
        .isNull();
  }
}
