package org.vaespark.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.vaespark.config.Settings;
import org.vaespark.config.SettingsLoader;
import org.vaespark.error.InputFileException;
import org.vaespark.io.Storage;
import org.vaespark.testing.TestData;

class ModelStoreTest {
  @TempDir
  Path dir;

  private final Storage storage = new Storage(new Configuration());
  private final ModelStore store = new ModelStore(storage);

  private static INDArray digits(int n) {
    return TestData.features(n);
  }

  private org.apache.hadoop.fs.Path publish(MultiLayerNetwork network) {
    org.apache.hadoop.fs.Path target =
        new org.apache.hadoop.fs.Path(dir.resolve("model").toString());
    storage.publish(
        target, false, staging -> store.writeModel(staging, ModelStore.serialize(network)));
    return target;
  }

  @Test
  void savedModelReloadsWithIdenticalOutputs() {
    Settings settings = SettingsLoader.load(null, Map.of("vae.model.latent-size", "8"));
    MultiLayerNetwork network = VaeNetworks.create(settings.model(), settings.training());
    INDArray x = digits(32);
    for (int i = 0; i < 3; i++) {
      network.pretrainLayer(0, x);
    }
    MultiLayerNetwork reloaded = store.loadNetwork(publish(network));

    assertThat(reloaded.params()).isEqualTo(network.params());
    assertThat(reloaded.output(x)).isEqualTo(network.output(x));
    VaeWeights before = VaeWeights.of(network);
    VaeWeights after = VaeWeights.of(reloaded);
    assertThat(after.encode(x).logVar()).isEqualTo(before.encode(x).logVar());
    INDArray z = before.encode(x).mean();
    assertThat(after.decode(z)).isEqualTo(before.decode(z));
    assertThat(after.negativeElbo(x, after.noise(32, 5)).reconstruction())
        .isEqualTo(before.negativeElbo(x, before.noise(32, 5)).reconstruction());
  }

  @Test
  void truncatedModelFileIsReportedAsCorrupt() throws Exception {
    Settings settings = SettingsLoader.load(null, Map.of());
    org.apache.hadoop.fs.Path folder =
        publish(VaeNetworks.create(settings.model(), settings.training()));
    Path zip = dir.resolve("model/model.zip");
    byte[] bytes = Files.readAllBytes(zip);
    Files.write(zip, Arrays.copyOf(bytes, bytes.length / 3));
    assertThatThrownBy(() -> store.loadNetwork(folder))
        .isInstanceOf(InputFileException.class)
        .hasMessageContaining("model.zip")
        .hasMessageContaining("corrupt or truncated");
  }

  @Test
  void unpublishedModelFolderIsRejected() throws Exception {
    Files.createDirectories(dir.resolve("half"));
    assertThatThrownBy(() ->
            store.loadNetwork(new org.apache.hadoop.fs.Path(dir.resolve("half").toString())))
        .isInstanceOf(InputFileException.class)
        .hasMessageContaining("no _SUCCESS marker");
    assertThatThrownBy(() ->
            store.loadNetwork(new org.apache.hadoop.fs.Path(dir.resolve("none").toString())))
        .isInstanceOf(InputFileException.class)
        .hasMessageContaining("model not found");
  }
}
