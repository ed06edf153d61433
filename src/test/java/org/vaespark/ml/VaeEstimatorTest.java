package org.vaespark.ml;

import static org.apache.spark.sql.functions.col;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vaespark.config.Settings;
import org.vaespark.config.SettingsLoader;
import org.vaespark.dataset.MnistDataset;
import org.vaespark.generate.GenerateJob;
import org.vaespark.io.Storage;
import org.vaespark.job.JobContext;
import org.vaespark.model.EpochMetrics;
import org.vaespark.model.ModelMetadata;
import org.vaespark.model.ModelStore;
import org.vaespark.prepare.PrepareJob;
import org.vaespark.testing.SparkTestBase;
import org.vaespark.testing.TestData;
import org.vaespark.train.TrainJob;

/**
 * The Spark ML stage on the bundled sample (8000 train, 2000 held-out digits): {@code fit} trains as the
 * {@code train} job does (same held-out loss with the same settings and seed), {@code transform} infers as
 * {@code generate} does (same z_mean and log_px for the same model), and the model saves and loads, alone and
 * inside a {@code PipelineModel}, with identical output.
 */
class VaeEstimatorTest extends SparkTestBase {
  private static final int EPOCHS = 2;

  @TempDir
  static Path dir;

  private static Settings settings;
  private static MnistDataset dataset;
  private static TrainJob.Result trainJob;
  private static VaeModel fitted;
  private static Dataset<Row> all;

  @BeforeAll
  static void trainBothWays() {
    Map<String, String> keys = new HashMap<>(Map.of(
        "vae.paths.input", TestData.SAMPLE.toString(),
        "vae.paths.output", dir.resolve("out").toString(),
        "vae.training.epochs", String.valueOf(EPOCHS),
        "vae.training.workers", "2"));
    settings = SettingsLoader.load(null, keys);
    JobContext context = JobContext.of(spark, settings);
    new PrepareJob(context).run(false);
    trainJob = new TrainJob(context).run(false);
    dataset = MnistDataset.open(
        new Storage(spark.sparkContext().hadoopConfiguration()),
        settings.paths().dataset());
    all = dataset
        .read(spark, MnistDataset.TRAIN)
        .unionByName(dataset.read(spark, MnistDataset.TEST))
        .withColumn("is_test", col("split").equalTo(MnistDataset.TEST));
    fitted = new VaeEstimator()
        .setInputCol("pixels")
        .setValidationIndicatorCol("is_test")
        .setEpochs(EPOCHS)
        .setWorkers(2)
        .fit(all);
  }

  @Test
  void fitGivesTheHeldOutLossOfTheTrainJobWithTheSameSettingsAndSeed() {
    List<EpochMetrics> history = fitted.history();
    assertThat(history).hasSize(EPOCHS);
    EpochMetrics last = history.get(EPOCHS - 1);
    // README: runs of the same settings differ by up to 0.3 nats (batches of the held-out ELBO,
    // task timing).
    assertThat(last.testNegElbo())
        .as("held-out -ELBO of fit vs the train job")
        .isCloseTo(trainJob.finalMetrics().testNegElbo(), within(0.5));
    assertThat(last.trainNegElbo()).isCloseTo(trainJob.finalMetrics().trainNegElbo(), within(0.5));
    ModelMetadata metadata = fitted.metadata();
    assertThat(metadata.data().trainExamples()).isEqualTo(8000);
    assertThat(metadata.data().testExamples()).isEqualTo(2000);
    assertThat(metadata.anomaly()).isNotNull();
    assertThat(metadata.anomaly().quantile()).isEqualTo(0.001);
    assertThat(metadata.anomaly().examples()).isEqualTo(8000);
  }

  @Test
  void transformGivesTheZMeanAndLogPxOfGenerateForTheSameModel() {
    Map<String, String> keys = new HashMap<>(Map.of(
        "vae.paths.input", TestData.SAMPLE.toString(),
        "vae.paths.output", dir.resolve("out").toString(),
        "vae.generate.samples", "4",
        "vae.generate.reconstructions", "4",
        "vae.generate.umap-points", "0"));
    new GenerateJob(JobContext.of(spark, SettingsLoader.load(null, keys))).run(false);
    Dataset<Row> generated = spark
        .read()
        .parquet(dir.resolve("out/generated/embeddings").toString())
        .where(col("split").equalTo(MnistDataset.TEST));

    VaeModel model = VaeModel.fromModelFolder(spark, trainJob.modelPath())
        .setInputCol("pixels")
        .setImportanceSamples(settings.evaluate().embeddingTestSamples());
    Dataset<Row> transformed = model.transform(dataset.read(spark, MnistDataset.TEST));

    List<Row> pairs = transformed
        .select(col("id"), col("z_mean"), col("log_px"))
        .join(
            generated.select(
                col("id"), col("z_mean").as("g_z_mean"), col("log_px").as("g_log_px")),
            "id")
        .collectAsList();
    assertThat(pairs).hasSize(2000);
    for (Row row : pairs) {
      double[] mine = ((Vector) row.get(1)).toArray();
      List<Float> theirs = row.getList(3);
      for (int d = 0; d < mine.length; d++) {
        assertThat(mine[d]).isCloseTo(theirs.get(d), within(1e-5));
      }
      assertThat(row.getDouble(2)).isCloseTo(row.getDouble(4), within(1e-5));
    }
  }

  @Test
  void aSavedModelAndPipelineModelLoadAndTransformIdentically() throws Exception {
    Dataset<Row> test = dataset.read(spark, MnistDataset.TEST).limit(300);
    List<Row> expected = fitted.transform(test).orderBy("id").collectAsList();

    String modelPath = dir.resolve("saved-model").toString();
    fitted.write().overwrite().save(modelPath);
    VaeModel loaded = VaeModel.load(modelPath);
    assertThat(loaded.uid()).isEqualTo(fitted.uid());
    assertThat(loaded.getInputCol()).isEqualTo("pixels");
    assertThat(loaded.version()).isEqualTo(fitted.version());
    assertThat(loaded.transform(test).orderBy("id").collectAsList()).isEqualTo(expected);
    assertThat(dir.resolve("saved-model/metadata")).isDirectory();
    assertThat(dir.resolve("saved-model/data").resolve(ModelStore.MODEL_FILE)).exists();

    PipelineModel pipeline =
        new PipelineModel("pipeline", List.of((org.apache.spark.ml.Transformer) fitted));
    String pipelinePath = dir.resolve("saved-pipeline").toString();
    pipeline.write().overwrite().save(pipelinePath);
    PipelineModel reloaded = PipelineModel.load(pipelinePath);
    assertThat(reloaded.stages()[0]).isInstanceOf(VaeModel.class);
    assertThat(reloaded.transform(test).orderBy("id").collectAsList()).isEqualTo(expected);

    Pipeline unfitted =
        new Pipeline().setStages(new PipelineStage[] {new VaeEstimator().setEpochs(3)});
    String estimatorPath = dir.resolve("saved-pipeline-estimator").toString();
    unfitted.write().overwrite().save(estimatorPath);
    VaeEstimator estimator = (VaeEstimator) Pipeline.load(estimatorPath).getStages()[0];
    assertThat(estimator.getOrDefault(estimator.epochs())).isEqualTo(3);
  }

  @Test
  void transformSchemaRefusesAColumnThatHoldsNoImagesBeforeAnyWork() {
    Dataset<Row> labels = dataset.read(spark, MnistDataset.TEST).select("id", "label");
    assertThatThrownBy(() -> fitted
            .copy(new org.apache.spark.ml.param.ParamMap())
            .setInputCol("label")
            .transform(labels))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'label' has type int");
    assertThatThrownBy(() -> new VaeEstimator().fit(labels))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("input column 'image' does not exist");
  }
}
