package org.vaespark.train;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.vaespark.config.Settings;
import org.vaespark.config.SettingsLoader;
import org.vaespark.io.Storage;
import org.vaespark.model.EpochMetrics;
import org.vaespark.model.VaeNetworks;
import org.vaespark.testing.TestData;

class CheckpointsTest {
  @TempDir
  Path tmp;

  private Path dir;
  private Checkpoints checkpoints;
  private final Settings settings = SettingsLoader.load(null, Map.of("vae.model.latent-size", "4"));

  @BeforeEach
  void checkpointFolder() {
    dir = tmp.resolve("checkpoints");
    checkpoints = new Checkpoints(
        new Storage(new Configuration()), new org.apache.hadoop.fs.Path(dir.toString()), 2);
  }

  private TrainingState state(int epoch, MultiLayerNetwork network) {
    List<EpochMetrics> history = new ArrayList<>();
    for (int e = 1; e <= epoch; e++) {
      history.add(new EpochMetrics(e, 200 - e, 190 - e, 10, 201 - e, 191 - e, 10, 1.5, 100));
    }
    return new TrainingState(
        epoch,
        network.getLayerWiseConfigurations().getIterationCount(),
        42,
        history,
        1.5 * epoch,
        "abc",
        settings.model(),
        "2026-11-23T00:00:00Z");
  }

  /** Changes the parameters by training, and the Adam state (which pretrainLayer does not touch) by hand. */
  private static void train(MultiLayerNetwork network, int steps) {
    for (int i = 0; i < steps; i++) {
      network.pretrainLayer(0, TestData.features(i * 16, 16));
    }
    INDArray adam = network.getUpdater().getStateViewArray();
    adam.assign(Nd4j.rand(adam.dataType(), adam.shape()));
  }

  @Test
  void latestCheckpointRestoresParametersAdamStateAndLoopState() {
    MultiLayerNetwork network = VaeNetworks.create(settings.model(), settings.training());
    for (int epoch = 1; epoch <= 3; epoch++) {
      train(network, 2);
      checkpoints.write(network, state(epoch, network));
    }

    Checkpoints.Checkpoint latest = checkpoints.latest().orElseThrow();

    assertThat(latest.folder().getName()).isEqualTo("epoch-00003");
    assertThat(latest.state()).isEqualTo(state(3, network));
    assertThat(latest.network().params()).isEqualTo(network.params());
    assertThat(network.getUpdater().getStateViewArray().sumNumber().doubleValue())
        .isNotZero();
    assertThat(latest.network().getUpdater().getStateViewArray())
        .isEqualTo(network.getUpdater().getStateViewArray());
    assertThat(dir.toFile().list())
        .as("only the newest two are kept")
        .containsExactlyInAnyOrder("epoch-00002", "epoch-00003");
  }

  @Test
  void aCheckpointLeftHalfWrittenIsIgnoredAndRemoved() throws Exception {
    MultiLayerNetwork network = VaeNetworks.create(settings.model(), settings.training());
    train(network, 1);
    checkpoints.write(network, state(1, network));
    // A run killed while writing epoch 2: its staging folder, or the folder renamed without
    // _SUCCESS.
    Path staging = Files.createDirectories(dir.resolve(".epoch-00002.staging-1234"));
    Files.write(staging.resolve("model.zip"), new byte[] {1, 2, 3});
    Path unmarked = Files.createDirectories(dir.resolve("epoch-00002"));
    Files.write(unmarked.resolve("model.zip"), new byte[] {1, 2, 3});

    Checkpoints.Checkpoint latest = checkpoints.latest().orElseThrow();

    assertThat(latest.state().epoch()).isEqualTo(1);
    assertThat(latest.network().params()).isEqualTo(network.params());
    assertThat(dir.toFile().list()).containsExactly("epoch-00001");
  }

  @Test
  void noCheckpointsMeansNothingToResumeAndClearRemovesThemAll() {
    assertThat(checkpoints.latest()).isEmpty();
    MultiLayerNetwork network = VaeNetworks.create(settings.model(), settings.training());
    checkpoints.write(network, state(1, network));
    checkpoints.clear();
    assertThat(dir).doesNotExist();
    assertThat(checkpoints.latest()).isEmpty();
  }
}
