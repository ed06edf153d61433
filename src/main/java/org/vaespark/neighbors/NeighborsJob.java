package org.vaespark.neighbors;

import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.storage.StorageLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vaespark.config.Settings;
import org.vaespark.dataset.MnistDataset;
import org.vaespark.error.InputFileException;
import org.vaespark.inference.ScoringModel;
import org.vaespark.io.Json;
import org.vaespark.io.Storage;
import org.vaespark.job.JobContext;
import org.vaespark.model.VaeWeights;
import org.vaespark.score.ModelChoice;
import org.vaespark.score.ScoreInput;
import org.vaespark.source.TaskFailures;

/**
 * The {@code neighbors} job: for every image that {@code score} would read, the {@code vae.neighbors.k} nearest
 * examples of the dataset's train split in {@code z_mean} space, with the model {@code score} would use; publishes
 * {@code neighbors/} (Parquet: query_id, rank, neighbor_id, neighbor_label, distance) and {@code summary.json}.
 */
public final class NeighborsJob {
  public static final String TABLE = "neighbors";
  public static final String SUMMARY = "summary.json";
  private static final Logger LOG = LoggerFactory.getLogger(NeighborsJob.class);

  private final JobContext context;
  private final Settings settings;
  private final Storage storage;

  public NeighborsJob(JobContext context) {
    this.context = context;
    this.settings = context.settings();
    this.storage = context.storage();
  }

  public record Result(
      String folder, String modelVersion, String method, long queries, long reference, int k) {}

  public Result run(boolean overwrite) {
    Path target = new Path(settings.paths().neighbors());
    storage.checkWritable(target, overwrite, "neighbour table");
    Path modelFolder = ModelChoice.folder(context);
    ScoringModel model = ScoringModel.load(storage, modelFolder);
    MnistDataset dataset = MnistDataset.open(storage, settings.paths().dataset());
    if (!dataset.manifest().shape().equals(model.shape())) {
      throw new InputFileException(modelFolder + ": the model takes " + model.shape()
          + " images, but the dataset at " + dataset.root() + " (the reference) holds "
          + dataset.manifest().shape() + " images: use the model trained on it");
    }
    JavaSparkContext sc = context.sparkContext();
    Broadcast<VaeWeights> weights = sc.broadcast(model.weights());
    Dataset<Row> queries = NeighborSearch.embed(
            ScoreInput.examples(context, model, modelFolder), "pixels", weights, model.shape())
        .persist(StorageLevel.MEMORY_AND_DISK());
    Dataset<Row> reference = NeighborSearch.embed(
            dataset.read(context.spark(), MnistDataset.TRAIN), "pixels", weights, model.shape())
        .persist(StorageLevel.MEMORY_AND_DISK());
    try {
      sc.setJobGroup("neighbors", "neighbors: nearest train embeddings", false);
      long q = TaskFailures.run(queries::count);
      if (q == 0) {
        throw new InputFileException(ScoreInput.describe(settings) + " holds no images");
      }
      long r = dataset.manifest().trainExamples();
      String method = NeighborSearch.method(settings.neighbors(), q * r);
      int k = settings.neighbors().k();
      Dataset<Row> found = NeighborSearch.find(queries, reference, k, method, settings.neighbors());
      storage.publish(target, overwrite, staging -> {
        found.write().mode(SaveMode.ErrorIfExists).parquet(new Path(staging, TABLE).toString());
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("model_version", model.version());
        summary.put("method", method);
        summary.put("k", k);
        summary.put("queries", q);
        summary.put("reference", r);
        summary.put("reference_data", dataset.root() + " (train split)");
        storage.writeString(new Path(staging, SUMMARY), Json.pretty(summary));
      });
      LOG.info(
          "Neighbours of {} queries among {} train embeddings ({}), published at {}",
          q,
          r,
          method,
          target);
      return new Result(target.toString(), model.version(), method, q, r, k);
    } finally {
      queries.unpersist(false);
      reference.unpersist(false);
      weights.destroy();
      sc.clearJobGroup();
    }
  }
}
