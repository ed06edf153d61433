package org.vaespark.train;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Map;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.RDDInfo;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vaespark.config.Settings;
import org.vaespark.config.SettingsLoader;
import org.vaespark.dataset.MnistDataset;
import org.vaespark.dataset.PixelBlock;
import org.vaespark.io.Storage;
import org.vaespark.job.JobContext;
import org.vaespark.model.VaeNetworks;
import org.vaespark.prepare.PrepareJob;
import org.vaespark.testing.SparkTestBase;
import org.vaespark.testing.TestData;

/**
 * Training data that does not fit the executors' storage memory: a session whose Spark memory is a few megabytes
 * keeps the workers' shares (each in many chunks) on disk, and training reads them from there every epoch.
 */
class SpilledTrainingDataTest {
  private static SparkSession spark;

  @TempDir
  static Path dir;

  @BeforeAll
  static void startSpark() {
    spark = SparkTestBase.builder("spilled-training-data")
        // About 2 MB for execution and storage together: less than one worker's share (3 MB of
        // pixels).
        .config("spark.memory.fraction", "0.001")
        .getOrCreate();
  }

  @AfterAll
  static void stopSpark() {
    spark.stop();
  }

  @Test
  void sharesThatDoNotFitAreSpilledToDiskAndTrainingReadsThemFromThere() {
    Path input = TestData.writeSample(dir.resolve("idx"), 8000, 100, false);
    Settings settings = SettingsLoader.load(
        null,
        Map.of(
            "vae.paths.input",
            input.toString(),
            "vae.paths.output",
            dir.resolve("out").toString(),
            "vae.model.encoder-layer-sizes",
            "[64]",
            "vae.model.decoder-layer-sizes",
            "[64]"));
    new PrepareJob(JobContext.of(spark, settings)).run(false);
    MnistDataset dataset = MnistDataset.open(
        new Storage(spark.sparkContext().hadoopConfiguration()),
        settings.paths().dataset());
    // Chunks of 256 examples: each worker's share of 4,000 is 16 chunks.
    JavaRDD<PixelBlock> blocks = AveragingTrainer.blocks(spark, dataset, 2, 256L * 784);
    MultiLayerNetwork network = VaeNetworks.create(settings.model(), settings.training(), 784);
    JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    AveragingTrainer.Plan plan = new AveragingTrainer.Plan(
        network.getLayerWiseConfigurations().toJson(),
        network.numParams(),
        64,
        20,
        3,
        true,
        1,
        null,
        0,
        new byte[0]);
    try (AveragingTrainer trainer = new AveragingTrainer(sc, plan, blocks, 0)) {
      RDDInfo stored = java.util.Arrays.stream(sc.sc().getRDDStorageInfo())
          .filter(info -> info.id() == blocks.id())
          .findFirst()
          .orElseThrow();
      assertThat(stored.diskSize()).as("spilled to disk").isPositive();
      assertThat(trainer.roundsPerEpoch())
          .isEqualTo(4); // 4,000 examples / 64 = 63 batches (in 16 chunks)

      double before = trainer.fitEpoch(network, 1).seconds();
      double firstLoss = network.score();
      trainer.fitEpoch(network, 2);

      assertThat(before).isPositive();
      assertThat(network.score()).isFinite().isLessThan(firstLoss);
      assertThat(network.getLayerWiseConfigurations().getIterationCount())
          .isEqualTo(2 * trainer.maxBatches());
    }
  }
}
