package org.vaespark.prepare;

import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vaespark.config.Settings;
import org.vaespark.dataset.MnistDataset;
import org.vaespark.io.Json;
import org.vaespark.io.Storage;
import org.vaespark.job.JobContext;
import org.vaespark.source.Source;
import org.vaespark.source.SourceSummary;
import org.vaespark.source.Sources;

/**
 * The data-prep job: reads its input (the four MNIST IDX files, a folder of images or a Parquet table; package
 * {@code source}), checks it, and publishes the train and test splits as Parquet shards with a manifest (counts,
 * image size, label index and a SHA-256 fingerprint of the decoded content). The images are read, checked and
 * written by tasks on the executors; the driver reads only headers and folder listings, and holds nothing that
 * grows with the dataset.
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
   * @param seconds the job's wall time, reading the input to publication (Spark's start-up excluded)
   */
  public record Result(
      String dataset, MnistDataset.Manifest manifest, boolean written, double seconds) {
    public long images() {
      return manifest.trainExamples() + manifest.testExamples();
    }
  }

  /** Reads and checks the input and publishes the dataset; an existing one is replaced only if allowed. */
  public Result run(boolean overwrite) {
    long t0 = System.nanoTime();
    Path target = new Path(settings.paths().dataset());
    storage.checkWritable(target, overwrite, "dataset");
    MnistDataset.Manifest manifest = inJobGroup(() -> write(target, open(), overwrite));
    return new Result(target.toString(), manifest, true, (System.nanoTime() - t0) / 1e9);
  }

  /**
   * For scheduled retraining: reads the input and rewrites the dataset only if its fingerprint differs from the
   * published dataset's (or there is none). An unchanged input costs one scan and writes nothing.
   */
  public Result refresh() {
    long t0 = System.nanoTime();
    Path target = new Path(settings.paths().dataset());
    MnistDataset.Manifest manifest = inJobGroup(() -> {
      Source source = open();
      if (storage.isPublished(target)) {
        MnistDataset.Manifest published =
            MnistDataset.open(storage, settings.paths().dataset()).manifest();
        String fingerprint = source.scan().fingerprint();
        if (published.fingerprint().equals(fingerprint)) {
          LOG.info(
              "Dataset at {} is up to date (input fingerprint {}): not rewritten",
              target,
              fingerprint);
          return null;
        }
        LOG.info(
            "Input changed (fingerprint {} -> {}): rewriting the dataset at {}",
            published.fingerprint(),
            fingerprint,
            target);
      }
      return write(target, source, true);
    });
    if (manifest == null) {
      MnistDataset.Manifest published =
          MnistDataset.open(storage, settings.paths().dataset()).manifest();
      return new Result(target.toString(), published, false, (System.nanoTime() - t0) / 1e9);
    }
    return new Result(target.toString(), manifest, true, (System.nanoTime() - t0) / 1e9);
  }

  private Source open() {
    return Sources.open(spark, storage, settings);
  }

  private MnistDataset.Manifest write(Path target, Source source, boolean overwrite) {
    MnistDataset.Manifest[] written = new MnistDataset.Manifest[1];
    storage.publish(target, overwrite, staging -> {
      written[0] = manifest(source.write(staging));
      storage.writeString(new Path(staging, MnistDataset.MANIFEST), Json.pretty(written[0]));
    });
    LOG.info(
        "Prepared {} train and {} test examples ({}x{}) at {}",
        written[0].trainExamples(),
        written[0].testExamples(),
        written[0].rows(),
        written[0].cols(),
        target);
    return written[0];
  }

  private MnistDataset.Manifest manifest(SourceSummary summary) {
    Settings.PrepareSettings prepare = settings.prepare();
    return new MnistDataset.Manifest(
        settings.paths().input(),
        summary.fingerprint(),
        summary.trainExamples(),
        summary.testExamples(),
        prepare.imageRows(),
        prepare.imageCols(),
        summary.kind(),
        summary.labels());
  }

  private <T> T inJobGroup(java.util.function.Supplier<T> work) {
    spark
        .sparkContext()
        .setJobGroup("prepare", "prepare: read, check and write the dataset", false);
    try {
      return work.get();
    } finally {
      spark.sparkContext().clearJobGroup();
    }
  }
}
