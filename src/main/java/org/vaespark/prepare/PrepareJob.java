package org.vaespark.prepare;

import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vaespark.config.Settings;
import org.vaespark.dataset.Images;
import org.vaespark.dataset.MnistDataset;
import org.vaespark.error.InputFileException;
import org.vaespark.io.Json;
import org.vaespark.io.Sha256;
import org.vaespark.io.Storage;
import org.vaespark.job.JobContext;

/**
 * The data-prep job: reads the four canonical MNIST IDX files, checks them, and publishes the train and test
 * splits as Parquet shards with a manifest (counts and a SHA-256 fingerprint of the decoded IDX content).
 */
public final class PrepareJob {
  private static final Logger LOG = LoggerFactory.getLogger(PrepareJob.class);

  private final SparkSession spark;
  private final Settings settings;
  private final Storage storage;

  public PrepareJob(JobContext context) {
    this.spark = context.spark();
    this.settings = context.settings();
    this.storage = context.storage();
  }

  /**
   * @param written false when {@link #refresh()} found the published dataset up to date
   * @param seconds the job's wall time, reading the IDX files to publication (Spark's start-up excluded)
   */
  public record Result(
      String dataset, MnistDataset.Manifest manifest, boolean written, double seconds) {
    public long images() {
      return manifest.trainExamples() + manifest.testExamples();
    }
  }

  /** Reads and checks the IDX files and publishes the dataset; an existing one is replaced only if allowed. */
  public Result run(boolean overwrite) {
    long t0 = System.nanoTime();
    Path target = new Path(settings.paths().dataset());
    storage.checkWritable(target, overwrite, "dataset");
    Input input = readInput();
    write(target, input, overwrite);
    return new Result(target.toString(), input.manifest(), true, (System.nanoTime() - t0) / 1e9);
  }

  /**
   * For scheduled retraining: reads the IDX files and rewrites the dataset only if their fingerprint differs from
   * the published dataset's (or there is none).
   */
  public Result refresh() {
    long t0 = System.nanoTime();
    Path target = new Path(settings.paths().dataset());
    Input input = readInput();
    if (storage.isPublished(target)) {
      MnistDataset.Manifest published =
          MnistDataset.open(storage, settings.paths().dataset()).manifest();
      if (published.fingerprint().equals(input.manifest().fingerprint())) {
        LOG.info(
            "Dataset at {} is up to date (input fingerprint {}): not rewritten",
            target,
            published.fingerprint());
        return new Result(target.toString(), published, false, (System.nanoTime() - t0) / 1e9);
      }
      LOG.info(
          "Input changed (fingerprint {} -> {}): rewriting the dataset at {}",
          published.fingerprint(),
          input.manifest().fingerprint(),
          target);
    }
    write(target, input, true);
    return new Result(target.toString(), input.manifest(), true, (System.nanoTime() - t0) / 1e9);
  }

  private record Input(Split train, Split test, MnistDataset.Manifest manifest) {}

  private Input readInput() {
    IdxFiles files = IdxFiles.locate(storage, settings.paths().input());
    LOG.info("Reading MNIST IDX files from {}", settings.paths().input());
    IdxReader reader = new IdxReader(storage);
    Split train =
        readSplit(reader, files.trainImages(), files.trainLabels(), MnistDataset.TRAIN, 0);
    Split test =
        readSplit(reader, files.testImages(), files.testLabels(), MnistDataset.TEST, train.count());
    MnistDataset.Manifest manifest = new MnistDataset.Manifest(
        settings.paths().input(),
        fingerprint(train, test),
        train.count(),
        test.count(),
        Images.ROWS,
        Images.COLS);
    return new Input(train, test, manifest);
  }

  private void write(Path target, Input input, boolean overwrite) {
    spark.sparkContext().setJobGroup("prepare", "prepare: write MNIST Parquet shards", false);
    try {
      storage.publish(target, overwrite, staging -> {
        write(input.train(), new Path(staging, MnistDataset.TRAIN));
        write(input.test(), new Path(staging, MnistDataset.TEST));
        storage.writeString(
            new Path(staging, MnistDataset.MANIFEST), Json.pretty(input.manifest()));
      });
    } finally {
      spark.sparkContext().clearJobGroup();
    }
    LOG.info(
        "Prepared {} train and {} test examples at {}",
        input.train().count(),
        input.test().count(),
        target);
  }

  private record Split(
      String name, long firstId, IdxReader.ImageFile images, IdxReader.LabelFile labels) {
    int count() {
      return images.count();
    }
  }

  private static Split readSplit(
      IdxReader reader, Path imagesPath, Path labelsPath, String name, long firstId) {
    IdxReader.ImageFile images = reader.readImages(imagesPath);
    IdxReader.LabelFile labels = reader.readLabels(labelsPath);
    IdxReader.checkSameCount(images, labels);
    if (images.count() == 0) {
      throw new InputFileException(
          imagesPath + " and " + labelsPath + " declare 0 examples: the " + name
              + " split would be empty, and nothing could be trained or evaluated on it; check the input files");
    }
    return new Split(name, firstId, images, labels);
  }

  private void write(Split split, Path path) {
    List<Row> rows = new ArrayList<>(split.count());
    byte[] pixels = split.images().pixels();
    for (int i = 0; i < split.count(); i++) {
      byte[] image = new byte[Images.PIXELS];
      System.arraycopy(pixels, i * Images.PIXELS, image, 0, Images.PIXELS);
      rows.add(RowFactory.create(
          split.firstId() + i, (int) split.labels().labels()[i], split.name(), image));
    }
    int shards = Math.min(settings.prepare().shards(), Math.max(1, split.count()));
    // The rows are in id order already: parallelize cuts the list into contiguous, sorted ranges,
    // one per shard,
    // so the shards are range-partitioned and sorted by id without a sampling job, a shuffle or a
    // sort.
    JavaRDD<Row> ranges =
        JavaSparkContext.fromSparkContext(spark.sparkContext()).parallelize(rows, shards);
    spark
        .createDataFrame(ranges, MnistDataset.SCHEMA)
        .write()
        .option(
            "parquet.enable.dictionary#pixels",
            "false") // 784 distinct bytes per row: nothing to share
        .mode(SaveMode.ErrorIfExists)
        .parquet(path.toString());
  }

  /** SHA-256 over the four files' decoded contents, so gzipped and plain copies agree. */
  private static String fingerprint(Split train, Split test) {
    MessageDigest digest = Sha256.newDigest();
    for (Split split : List.of(train, test)) {
      digest.update(split.images().sha256());
      digest.update(split.labels().sha256());
    }
    return "sha256:" + HexFormat.of().formatHex(digest.digest());
  }
}
