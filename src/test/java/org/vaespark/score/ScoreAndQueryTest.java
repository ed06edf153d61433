package org.vaespark.score;

import static org.apache.spark.sql.functions.col;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Path;
import java.time.Clock;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vaespark.config.Settings;
import org.vaespark.config.SettingsLoader;
import org.vaespark.dataset.MnistDataset;
import org.vaespark.io.Json;
import org.vaespark.io.Storage;
import org.vaespark.job.JobContext;
import org.vaespark.ml.VaeModel;
import org.vaespark.model.ModelMetadata;
import org.vaespark.model.ModelStore;
import org.vaespark.neighbors.NeighborsJob;
import org.vaespark.prepare.PrepareJob;
import org.vaespark.retrain.VersionStore;
import org.vaespark.sql.VaeFunctionsProbe;
import org.vaespark.testing.SparkTestBase;
import org.vaespark.testing.TestData;
import org.vaespark.testing.TestImages;
import org.vaespark.train.TrainJob;

/**
 * Using a trained model on new data: {@code score} (through the job; its bad input is in {@code BadInputTest}),
 * the SQL functions in a session built with {@code spark.sql.extensions} (on the executors, against
 * {@code CURRENT}, following a promotion), and {@code neighbors}. Its own session: the SQL extension must be
 * configured when the session is built.
 */
class ScoreAndQueryTest {
  private static final double QUANTILE = 0.05;

  @TempDir
  static Path dir;

  private static SparkSession spark;
  private static Storage storage;
  private static Path root;
  private static TrainJob.Result first;
  private static TrainJob.Result second;

  @BeforeAll
  static void trainTwoVersions() {
    spark = SparkTestBase.builder("score-and-query-test")
        .config("spark.sql.extensions", "org.vaespark.sql.VaeSqlExtensions")
        .getOrCreate();
    storage = new Storage(spark.sparkContext().hadoopConfiguration());
    root = dir.resolve("root");
    Path input = TestData.writeSample(dir.resolve("idx"), 1500, 500, true);
    new PrepareJob(JobContext.of(spark, settings(input, Map.of()))).run(false);
    first = new TrainJob(JobContext.of(
            spark,
            settings(
                input,
                Map.of(
                    "vae.training.epochs",
                    "3",
                    "vae.paths.model",
                    root.resolve("versions/v1/model").toString()))))
        .run(false, "v1");
    second = new TrainJob(JobContext.of(
            spark,
            settings(
                input,
                Map.of(
                    "vae.training.epochs", "1",
                    "vae.training.seed", "7",
                    "vae.paths.model", root.resolve("versions/v2/model").toString()))))
        .run(false, "v2");
    point("v1", first);
  }

  @AfterAll
  static void stop() {
    spark.stop();
  }

  private static Settings settings(Path input, Map<String, String> extra) {
    Map<String, String> all = new HashMap<>(Map.of(
        "vae.paths.input",
        input.toString(),
        "vae.paths.output",
        root.toString(),
        "vae.prepare.shards",
        "2",
        "vae.training.workers",
        "2",
        "vae.training.batch-size-per-worker",
        "64",
        "vae.score.anomaly-quantile",
        String.valueOf(QUANTILE)));
    all.putAll(extra);
    return SettingsLoader.load(null, all);
  }

  /** Moves CURRENT to a version, as retrain's promotion does. */
  private static void point(String version, TrainJob.Result model) {
    new VersionStore(storage, new org.apache.hadoop.fs.Path(root.toString()), Clock.systemUTC())
        .point(new VersionStore.Pointer(
            version, model.modelPath(), "", 0, "", "2026-11-28T00:00:00Z"));
  }

  @Test
  void theThresholdIsTheConfiguredQuantileOfTheTrainSplitAndScoreFlagsAboutThatShare() {
    ModelMetadata metadata =
        new ModelStore(storage).loadMetadata(new org.apache.hadoop.fs.Path(first.modelPath()));
    assertThat(metadata.anomaly().quantile()).isEqualTo(QUANTILE);
    assertThat(metadata.anomaly().examples()).isEqualTo(1500);
    assertThat(metadata.data().rows()).isEqualTo(28);

    Map<String, String> keys =
        new HashMap<>(Map.of("vae.score.source", "dataset", "vae.score.model", "current"));
    ScoreJob.Result result =
        new ScoreJob(JobContext.of(spark, settings(dir.resolve("idx"), keys))).run(false);

    assertThat(result.modelVersion()).isEqualTo("v1");
    assertThat(result.images()).isEqualTo(2000);
    Dataset<Row> table = spark.read().parquet(root.resolve("scored/scores").toString());
    assertThat(table.columns())
        .containsExactly(
            "id",
            "path",
            "label",
            "split",
            "model_version",
            "z_mean",
            "z_log_var",
            "log_px",
            "reconstruction_log_prob",
            "is_anomaly");
    double trainShare = share(table.where(col("split").equalTo(MnistDataset.TRAIN)));
    double testShare = share(table.where(col("split").equalTo(MnistDataset.TEST)));
    // The train rows are scored in the batches the threshold was computed in: exactly the quantile,
    // up to
    // approxQuantile's rank error. Held-out digits the model has not seen score a little lower.
    assertThat(trainShare).isCloseTo(QUANTILE, within(0.005));
    assertThat(testShare).isBetween(0.02, 0.15);
    assertThat(
            Json.MAPPER.valueToTree(result.threshold()).get("log_px_threshold").asDouble())
        .isEqualTo(metadata.anomaly().logPxThreshold());
    assertThat(root.resolve("scored/summary.json")).exists();
  }

  private static double share(Dataset<Row> rows) {
    long all = rows.count();
    return (double) rows.where(col("is_anomaly")).count() / all;
  }

  @Test
  void scoreReadsAnImageFolderAsPrepareDoesAndNamesEachFile() {
    Path folder = dir.resolve("new-images");
    for (int i = 0; i < 30; i++) {
      TestImages.write(folder.resolve(String.format("img-%02d.png", i)), TestImages.png(i));
    }
    Map<String, String> keys = new HashMap<>(Map.of(
        "vae.score.model", first.modelPath(),
        "vae.paths.scored", dir.resolve("scored-folder").toString()));
    ScoreJob.Result result = new ScoreJob(JobContext.of(spark, settings(folder, keys))).run(false);
    assertThat(result.images()).isEqualTo(30);
    List<Row> rows = spark
        .read()
        .parquet(dir.resolve("scored-folder/scores").toString())
        .select("path", "label", "log_px")
        .collectAsList();
    assertThat(rows).allSatisfy(row -> {
      assertThat(row.getString(0)).endsWith(".png");
      assertThat(row.getInt(1)).isEqualTo(-1);
      assertThat(row.getDouble(2)).isFinite();
    });
  }

  @Test
  void theSqlFunctionsRunOnTheExecutorsAgainstCurrentAndFollowAPromotion() {
    spark.conf().set("spark.vae.retrain-root", root.toString());
    String test = root.resolve("dataset/test").toString();
    long loadsBefore = VaeFunctionsProbe.loads();
    long rowsBefore = VaeFunctionsProbe.rowsInTasks();
    List<Row> v1 = spark
        .sql("SELECT id, vae_model_version() AS v, vae_embed(pixels) AS z, "
            + "vae_log_px(pixels) AS lp, vae_is_anomaly(pixels) AS a FROM parquet.`" + test + "`")
        .collectAsList()
        .stream()
        .sorted(java.util.Comparator.comparingLong(row -> row.getLong(0)))
        .toList();
    assertThat(v1).hasSize(500);
    assertThat(v1).allSatisfy(row -> assertThat(row.getString(1)).isEqualTo("v1"));
    assertThat(VaeFunctionsProbe.loads() - loadsBefore)
        .as("the model is loaded once per JVM, not per row")
        .isEqualTo(1);
    assertThat(VaeFunctionsProbe.loadsInTasks())
        .as("loaded inside a Spark task")
        .isPositive();
    assertThat(VaeFunctionsProbe.rowsInTasks() - rowsBefore)
        .as("every row scored inside a task, on the executors (three functions per row)")
        .isEqualTo(3 * 500);

    // The same z_mean as VaeModel.transform (and generate) for the same model.
    VaeModel model = VaeModel.fromModelFolder(spark, first.modelPath()).setInputCol("pixels");
    Map<Long, Vector> transformed = new HashMap<>();
    for (Row row :
        model.transform(spark.read().parquet(test)).select("id", "z_mean").collectAsList()) {
      transformed.put(row.getLong(0), (Vector) row.get(1));
    }
    for (Row row : v1) {
      List<Float> z = row.getList(2);
      double[] expected = transformed.get(row.getLong(0)).toArray();
      for (int d = 0; d < expected.length; d++) {
        assertThat((double) z.get(d)).isCloseTo(expected[d], within(1e-5));
      }
    }
    long flagged = v1.stream().filter(row -> row.getBoolean(4)).count();
    assertThat(flagged).isBetween(5L, 80L);

    point("v2", second);
    List<Row> v2 = spark
        .sql("SELECT id, vae_model_version() AS v, vae_log_px(pixels) AS lp FROM parquet.`" + test
            + "` ORDER BY id")
        .collectAsList();
    assertThat(v2).allSatisfy(row -> assertThat(row.getString(1)).isEqualTo("v2"));
    assertThat(v2.get(0).getDouble(2))
        .as("the promoted version's log_px")
        .isNotCloseTo(v1.get(0).getDouble(3), within(1e-3));
    point("v1", first);
  }

  @Test
  void neighborsFindTheNearestTrainEmbeddingsOfEachImage() {
    Map<String, String> keys =
        new HashMap<>(Map.of("vae.score.model", first.modelPath(), "vae.neighbors.k", "5"));
    NeighborsJob.Result result =
        new NeighborsJob(JobContext.of(spark, settings(dir.resolve("idx"), keys))).run(false);
    assertThat(result.method()).isEqualTo("exact");
    assertThat(result.queries()).isEqualTo(2000);
    Dataset<Row> table =
        spark.read().parquet(root.resolve("neighbors/neighbors").toString());
    assertThat(table.count()).isEqualTo(2000 * 5);
    // A train image's nearest train embedding is itself (or an identical image).
    List<Row> self = table
        .where(col("rank").equalTo(1).and(col("query_id").lt(1500)))
        .select("query_id", "neighbor_id", "distance")
        .collectAsList();
    assertThat(self)
        .hasSize(1500)
        .allSatisfy(row -> assertThat(row.getDouble(2)).isLessThan(1e-6));
    assertThat(self.stream().filter(row -> row.getLong(0) == row.getLong(1)).count())
        .isGreaterThan(1490);
  }
}
