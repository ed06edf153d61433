package org.vaespark.score;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vaespark.config.Settings;
import org.vaespark.error.InputFileException;
import org.vaespark.inference.RowScorer;
import org.vaespark.inference.ScoringModel;
import org.vaespark.io.Json;
import org.vaespark.io.Storage;
import org.vaespark.job.JobContext;
import org.vaespark.model.ModelMetadata;
import org.vaespark.model.VaeWeights;
import org.vaespark.source.ImageColumn;
import org.vaespark.source.TaskFailures;

/**
 * The scoring job: reads new data (what {@code prepare} reads, at the model's image size, or a published dataset)
 * and publishes, with a published model (or the version {@code CURRENT} names), a scored table: the id, the file
 * an image came from, its label (-1 without), its split, the model version, {@code z_mean}, {@code z_log_var},
 * {@code log_px}, {@code reconstruction_log_prob} and {@code is_anomaly} ({@code log_px} below the threshold in
 * the model's {@code metadata.json}), computed on the executors by the shared inference. Nothing is written for
 * an input that holds no images.
 */
public final class ScoreJob {
  public static final String TABLE = "scores";
  public static final String SUMMARY = "summary.json";
  private static final Logger LOG = LoggerFactory.getLogger(ScoreJob.class);

  private final JobContext context;
  private final Settings settings;
  private final Storage storage;
  private final SparkSession spark;

  public ScoreJob(JobContext context) {
    this.context = context;
    this.settings = context.settings();
    this.storage = context.storage();
    this.spark = context.spark();
  }

  /** What was scored: rows, anomalies among them, the threshold and the model. */
  public record Result(
      String folder,
      String modelVersion,
      String input,
      long images,
      long anomalies,
      ModelMetadata.Anomaly threshold,
      double seconds) {
    public double anomalyShare() {
      return images == 0 ? 0 : (double) anomalies / images;
    }
  }

  public Result run(boolean overwrite) {
    long t0 = System.nanoTime();
    Path target = new Path(settings.paths().scored());
    storage.checkWritable(target, overwrite, "scored table");
    Path modelFolder = ModelChoice.folder(context);
    ScoringModel model = ScoringModel.load(storage, modelFolder);
    if (model.anomaly() == null) {
      LOG.warn(
          "Model {} records no anomaly threshold (it was trained before thresholds were): is_anomaly is false "
              + "for every image; retrain it to get one",
          modelFolder);
    }
    String input = describeInput();
    Dataset<Row> examples = ScoreInput.examples(context, model, modelFolder);
    JavaSparkContext sc = context.sparkContext();
    Broadcast<VaeWeights> weights = sc.broadcast(model.weights());
    long[] counts = new long[2];
    try {
      sc.setJobGroup("score", "score: embeddings, log_px and anomaly flags of " + input, false);
      storage.publish(target, overwrite, staging -> {
        Path table = new Path(staging, TABLE);
        TaskFailures.run(() -> {
          scored(examples, weights, model)
              .write()
              .mode(SaveMode.ErrorIfExists)
              .option("parquet.enable.dictionary#z_mean.list.element", "false")
              .option("parquet.enable.dictionary#z_log_var.list.element", "false")
              .parquet(table.toString());
          return null;
        });
        Row totals = spark
            .read()
            .parquet(table.toString())
            .agg(
                org.apache.spark.sql.functions.count(lit(1)),
                sum(when(col("is_anomaly"), 1).otherwise(0)))
            .first();
        counts[0] = totals.getLong(0);
        counts[1] = totals.isNullAt(1) ? 0 : totals.getLong(1);
        if (counts[0] == 0) {
          throw new InputFileException(
              input + " holds no images: nothing to score (nothing was written)");
        }
        storage.writeString(new Path(staging, SUMMARY), Json.pretty(summary(model, input, counts)));
      });
    } finally {
      weights.destroy();
      sc.clearJobGroup();
    }
    LOG.info(
        "Scored {} images of {} with model {}: {} anomalies, published at {}",
        counts[0],
        input,
        model.version(),
        counts[1],
        target);
    return new Result(
        target.toString(),
        model.version(),
        input,
        counts[0],
        counts[1],
        model.anomaly(),
        (System.nanoTime() - t0) / 1e9);
  }

  private String describeInput() {
    return ScoreInput.describe(settings);
  }

  private Dataset<Row> scored(
      Dataset<Row> examples, Broadcast<VaeWeights> weights, ScoringModel model) {
    Dataset<Row> rows = examples.select(
        col("id"),
        col("path"),
        col("label"),
        col("split"),
        lit(model.version()).as("model_version"),
        col("pixels"));
    return RowScorer.score(
            rows,
            weights,
            new ImageColumn.Reader(model.shape(), "the input", "pixels"),
            "pixels",
            "id",
            settings.score().importanceSamples(),
            settings.evaluate().seed(),
            model.anomaly(),
            RowScorer.Columns.DEFAULT,
            false)
        .drop("pixels");
  }

  private Map<String, Object> summary(ScoringModel model, String input, long[] counts) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("model_version", model.version());
    out.put("input", input);
    out.put("images", counts[0]);
    out.put("anomalies", counts[1]);
    out.put("importance_samples", settings.score().importanceSamples());
    out.put("anomaly_threshold", model.anomaly());
    return out;
  }
}
