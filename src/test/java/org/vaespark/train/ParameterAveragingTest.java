package org.vaespark.train;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.vaespark.config.Settings;
import org.vaespark.config.SettingsLoader;
import org.vaespark.dataset.Images;
import org.vaespark.dataset.PixelBlock;
import org.vaespark.model.TrainingStep;
import org.vaespark.model.VaeNetworks;
import org.vaespark.testing.SparkTestBase;
import org.vaespark.testing.TestData;

/**
 * After one averaging round with two workers on Spark (a barrier stage whose tasks exchange their state with the
 * driver's averaging server), the driver holds the mean of what each worker computes on its own block, parameters
 * and Adam state alike, for the fused step and DL4J's layer.
 */
class ParameterAveragingTest extends SparkTestBase {
  private static final int BATCH = 16;
  private static final int FREQUENCY = 2;

  private static PixelBlock block(int from, int n) {
    byte[] pixels = TestData.pixels(from + n);
    List<byte[]> rows = new ArrayList<>();
    for (int i = from; i < from + n; i++) {
      rows.add(Arrays.copyOfRange(pixels, i * Images.PIXELS, (i + 1) * Images.PIXELS));
    }
    return new PixelBlock(rows);
  }

  @ParameterizedTest
  @ValueSource(strings = {Settings.TrainingSettings.FUSED, Settings.TrainingSettings.DL4J})
  void driverParametersAreTheMeanOfTheWorkersResults(String step) {
    Settings settings = SettingsLoader.load(
        null,
        Map.of(
            "vae.model.encoder-layer-sizes",
            "[32]",
            "vae.model.decoder-layer-sizes",
            "[32]",
            "vae.model.latent-size",
            "4",
            "vae.training.step",
            step));
    MultiLayerNetwork network = VaeNetworks.create(settings.model(), settings.training());
    INDArray initial = network.params().dup();
    INDArray initialState = network.getUpdater().getStateViewArray().dup();
    // Exactly one round: 2 workers x 2 minibatches x 16 real digits.
    List<PixelBlock> blocks = List.of(block(0, FREQUENCY * BATCH), block(100, FREQUENCY * BATCH));
    JavaRDD<PixelBlock> rdd =
        JavaSparkContext.fromSparkContext(spark.sparkContext()).parallelize(blocks, 2);
    AveragingTrainer.Plan plan = new AveragingTrainer.Plan(
        network.getLayerWiseConfigurations().toJson(),
        network.numParams(),
        BATCH,
        FREQUENCY,
        5,
        step.equals("fused"),
        1,
        null,
        0,
        new byte[0]);
    try (AveragingTrainer trainer = new AveragingTrainer(
        JavaSparkContext.fromSparkContext(spark.sparkContext()), plan, rdd, 0)) {
      assertThat(trainer.roundsPerEpoch()).isEqualTo(1);

      trainer.fitEpoch(network, 1);
    }

    // Each worker's result, computed here from the same starting state, block and partition.
    List<TrainingStep> workers = new ArrayList<>();
    for (int p = 0; p < 2; p++) {
      TrainingStep worker = WorkerSteps.borrow(plan);
      worker.params().assign(initial);
      worker.updaterState().assign(initialState);
      worker.reload();
      RoundWorker.Position position = new RoundWorker.Position(
          1, 0, new WorkerBatches(List.of(blocks.get(p)).iterator(), BATCH, plan.seed, 1, p));
      RoundWorker.trainRound(worker, p, position, 0, plan);
      worker.flush();
      workers.add(worker);
    }
    INDArray first = workers.get(0).params().reshape(-1);
    INDArray second = workers.get(1).params().reshape(-1);
    assertThat(first.distance2(initial.reshape(-1))).as("worker 1 trained").isGreaterThan(1e-3);
    assertThat(first.distance2(second)).as("workers saw different data").isGreaterThan(1e-4);
    INDArray mean = first.add(second).divi(2);
    assertThat(network.params().reshape(-1).equalsWithEps(mean, 1e-5))
        .as("driver params = mean of workers")
        .isTrue();

    INDArray stateMean = workers
        .get(0)
        .updaterState()
        .add(workers.get(1).updaterState())
        .reshape(-1)
        .divi(2);
    INDArray driverState = network.getUpdater().getStateViewArray().reshape(-1);
    assertThat(driverState.equalsWithEps(stateMean, 1e-5))
        .as("driver Adam state = mean of workers")
        .isTrue();
    assertThat(driverState.norm2Number().doubleValue()).isGreaterThan(0);
    assertThat(network.getLayerWiseConfigurations().getIterationCount()).isEqualTo(FREQUENCY);
  }

  @Test
  void aStageAttemptThatFailsMidEpochIsRunAgainFromTheLastCompletedRoundWithTheSameResult() {
    Settings settings = SettingsLoader.load(
        null,
        Map.of(
            "vae.model.encoder-layer-sizes", "[32]",
            "vae.model.decoder-layer-sizes", "[32]",
            "vae.model.latent-size", "4"));
    // Two rounds per epoch: 2 workers x 4 minibatches of 16, averaging every 2; each worker's share
    // in two chunks
    // of two minibatches, so the rerun of round 1 starts in a worker's second chunk.
    List<PixelBlock> blocks = List.of(
        block(0, 2 * BATCH), block(100, 2 * BATCH), block(200, 2 * BATCH), block(300, 2 * BATCH));
    INDArray clean = trainTwoEpochs(settings, blocks);
    RoundWorker.failFirstAttemptAt = new int[] {2, 1, 1};
    INDArray retried;
    try {
      retried = trainTwoEpochs(settings, blocks);
    } finally {
      RoundWorker.failFirstAttemptAt = null;
    }

    assertThat(retried.equalsWithEps(clean, 1e-6))
        .as("the retried stage resumed at round 1 of epoch 2 and ended where the clean run did")
        .isTrue();
  }

  private INDArray trainTwoEpochs(Settings settings, List<PixelBlock> blocks) {
    MultiLayerNetwork network = VaeNetworks.create(settings.model(), settings.training());
    JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    AveragingTrainer.Plan plan = new AveragingTrainer.Plan(
        network.getLayerWiseConfigurations().toJson(),
        network.numParams(),
        BATCH,
        FREQUENCY,
        5,
        true,
        1,
        null,
        0,
        new byte[0]);
    try (AveragingTrainer trainer = new AveragingTrainer(sc, plan, sc.parallelize(blocks, 2), 0)) {
      assertThat(trainer.roundsPerEpoch()).isEqualTo(2);
      trainer.fitEpoch(network, 1);
      trainer.fitEpoch(network, 2);
    }
    assertThat(network.getLayerWiseConfigurations().getIterationCount()).isEqualTo(8);
    return network.params().dup();
  }
}
