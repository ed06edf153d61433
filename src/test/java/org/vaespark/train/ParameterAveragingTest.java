package org.vaespark.train;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.spark.api.RDDTrainingApproach;
import org.deeplearning4j.spark.impl.graph.SparkComputationGraph;
import org.deeplearning4j.spark.impl.multilayer.SparkDl4jMultiLayer;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingMaster;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingResult;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.vaespark.config.Settings;
import org.vaespark.config.SettingsLoader;
import org.vaespark.model.VaeNetworks;
import org.vaespark.testing.SparkTestBase;
import org.vaespark.testing.TestData;

/** After one averaging round with two workers, the driver holds the mean of what the workers returned. */
class ParameterAveragingTest extends SparkTestBase {
  private static final int BATCH = 16;
  private static final int FREQUENCY = 2;
  private static final int WORKERS = 2;

  /** Records each worker's returned parameters and updater state before upstream's averaging runs. */
  static final class RecordingMaster extends VaeTrainingMaster {
    final List<INDArray> params = new ArrayList<>();
    final List<INDArray> updaterStates = new ArrayList<>();

    RecordingMaster(ParameterAveragingTrainingMaster.Builder builder) {
      super(builder);
    }

    @Override
    protected void processResults(
        SparkDl4jMultiLayer network, SparkComputationGraph graph,
        JavaRDD<ParameterAveragingTrainingResult> results, int splitNum, int totalSplits) {
      results.cache();
      for (ParameterAveragingTrainingResult result : results.collect()) {
        params.add(result.getParameters().dup());
        updaterStates.add(result.getUpdaterState().dup());
      }
      super.processResults(network, graph, results, splitNum, totalSplits);
      results.unpersist(false);
    }
  }

  @Test
  void driverParametersAreTheMeanOfTheWorkersResults() {
    Settings settings = SettingsLoader.load(null, Map.of("vae.model.encoder-layer-sizes", "[32]",
        "vae.model.decoder-layer-sizes", "[32]", "vae.model.latent-size", "4"));
    MultiLayerNetwork network = VaeNetworks.create(settings.model(), settings.training());
    INDArray initial = network.params().dup();
    RecordingMaster master = new RecordingMaster(
        new ParameterAveragingTrainingMaster.Builder(WORKERS, BATCH)
            .batchSizePerWorker(BATCH)
            .averagingFrequency(FREQUENCY)
            .saveUpdater(true)
            .rddTrainingApproach(RDDTrainingApproach.Direct)
            .storageLevel(null)
            .rngSeed(1));
    SparkDl4jMultiLayer sparkNetwork =
        new SparkDl4jMultiLayer(JavaSparkContext.fromSparkContext(spark.sparkContext()), network, master);

    // Exactly one round: 2 workers x 2 minibatches x 16 real digits.
    sparkNetwork.fit(minibatches(WORKERS * FREQUENCY));

    assertThat(master.params).hasSize(WORKERS);
    INDArray first = master.params.get(0);
    INDArray second = master.params.get(1);
    assertThat(first.distance2(initial)).as("worker 1 trained").isGreaterThan(1e-3);
    assertThat(second.distance2(initial)).as("worker 2 trained").isGreaterThan(1e-3);
    assertThat(first.distance2(second)).as("workers saw different data").isGreaterThan(1e-4);
    INDArray mean = first.add(second).divi(2);
    assertThat(network.params().equalsWithEps(mean, 1e-6)).as("driver params = mean of workers").isTrue();

    // Adam's state went through the same averaging, and training really used it (non-zero moments).
    INDArray updaterMean = master.updaterStates.get(0).add(master.updaterStates.get(1)).divi(2);
    INDArray driverState = network.getUpdater().getStateViewArray();
    assertThat(driverState.equalsWithEps(updaterMean, 1e-6)).isTrue();
    assertThat(driverState.norm2Number().doubleValue()).isGreaterThan(0);
    assertThat(network.getLayerWiseConfigurations().getIterationCount()).isEqualTo(FREQUENCY);
  }

  private static JavaRDD<DataSet> minibatches(int count) {
    List<DataSet> sets = new ArrayList<>();
    for (int b = 0; b < count; b++) {
      INDArray features = TestData.features(b * BATCH, BATCH);
      sets.add(new DataSet(features, Nd4j.zeros(DataType.FLOAT, BATCH, 1)));
    }
    return JavaSparkContext.fromSparkContext(spark.sparkContext()).parallelize(sets, WORKERS);
  }
}
