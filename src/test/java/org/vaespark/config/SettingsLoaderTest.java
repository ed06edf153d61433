package org.vaespark.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.vaespark.error.SettingsException;
import org.vaespark.io.Storage;

class SettingsLoaderTest {
  @TempDir
  Path dir;

  @Test
  void defaultsAreTheClassicArchitecture() {
    Settings s = SettingsLoader.load(null, Map.of());
    assertThat(s.model().encoderLayerSizes()).containsExactly(400);
    assertThat(s.model().decoderLayerSizes()).containsExactly(400);
    assertThat(s.model().latentSize()).isEqualTo(20);
    assertThat(s.model().activation()).isEqualTo("relu");
    assertThat(s.training().batchSizePerWorker()).isEqualTo(128);
    assertThat(s.training().learningRate()).isEqualTo(4e-3);
    assertThat(s.training().averagingFrequency()).isEqualTo(20);
    assertThat(s.training().step()).isEqualTo(Settings.TrainingSettings.FUSED);
    assertThat(s.training().nativeThreads()).isZero();
    assertThat(s.paths().input()).isEqualTo("data-prep/sample");
    assertThat(s.spark().conf())
        .containsEntry("spark.kryo.registrator", "org.nd4j.kryo.Nd4jRegistrator");
  }

  @Test
  void storageDefaultsTreatOnlyHdfsLikeAndLocalFileSystemsAsAtomic() {
    Settings s = SettingsLoader.load(null, Map.of());
    assertThat(s.storage().atomicSchemes())
        .as("Storage's own default, used where no settings are at hand")
        .containsExactlyElementsOf(Storage.ATOMIC_SCHEMES)
        .doesNotContain("s3a");
    assertThat(s.retrain().schedulerPreventsOverlap()).isFalse();
    assertThat(s.spark().conf())
        .containsEntry("spark.hadoop.fs.s3a.attempts.maximum", "2")
        .containsEntry("spark.hadoop.fs.s3a.retry.limit", "2");
    assertThat(SettingsLoader.load(null, Map.of("vae.storage.atomic-schemes", "[HDFS, ofs]"))
            .storage()
            .atomicSchemes())
        .containsExactly("hdfs", "ofs");
    assertThatThrownBy(
            () -> SettingsLoader.load(null, Map.of("vae.storage.atomic-schemes", "[\"hdfs://\"]")))
        .isInstanceOf(SettingsException.class)
        .hasMessageContaining("vae.storage.atomic-schemes: \"hdfs://\" is not a URI scheme");
  }

  @Test
  void derivedPathsFollowAnOverriddenOutputRoot() {
    Settings s = SettingsLoader.load(null, Map.of("vae.paths.output", "hdfs:///vae"));
    assertThat(s.paths().dataset()).isEqualTo("hdfs:///vae/dataset");
    assertThat(s.paths().model()).isEqualTo("hdfs:///vae/model");
    assertThat(s.paths().generated()).isEqualTo("hdfs:///vae/generated");
  }

  @Test
  void fileThenCommandLineOverridesInThatOrder() throws Exception {
    File file = dir.resolve("app.conf").toFile();
    Files.writeString(file.toPath(), "vae.training { epochs = 7, seed = 99 }\n");
    Settings s = SettingsLoader.load(file, Map.of("vae.training.epochs", "3"));
    assertThat(s.training().epochs()).isEqualTo(3);
    assertThat(s.training().seed()).isEqualTo(99);
  }

  @Test
  void theShippedConfFilesAreValid() {
    for (String name :
        new String[] {"conf/local.conf", "conf/cluster.conf", "conf/cluster-gpu.conf"}) {
      assertThat(SettingsLoader.load(new File(name), Map.of()).training().epochs())
          .isPositive();
    }
  }

  @Test
  void unknownKeyIsRejectedWithItsPath() {
    assertThatThrownBy(() -> SettingsLoader.load(null, Map.of("vae.trainng.epochs", "5")))
        .isInstanceOf(SettingsException.class)
        .hasMessageContaining("unknown configuration key")
        .hasMessageContaining("vae.trainng.epochs");
  }

  @Test
  void missingConfigFileIsNamed() {
    assertThatThrownBy(() -> SettingsLoader.load(new File("no/such.conf"), Map.of()))
        .isInstanceOf(SettingsException.class)
        .hasMessageContaining("no/such.conf");
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "vae.training.epochs | ten | vae.training.epochs",
        "vae.training.epochs | 0 | vae.training.epochs = 0 is out of range",
        "vae.training.batch-size-per-worker | -5 | vae.training.batch-size-per-worker = -5 is out of range",
        "vae.training.learning-rate | 0 | vae.training.learning-rate = 0.0 is out of range",
        "vae.model.latent-size | 0 | vae.model.latent-size = 0 is out of range",
        "vae.prepare.shards | 0 | vae.prepare.shards = 0 is out of range",
        "vae.model.activation | banana | vae.model.activation = \"banana\" is not supported",
        "vae.paths.output | '' | must not be empty",
      })
  void badValuesNameTheKey(String key, String value, String message) {
    assertThatThrownBy(() -> SettingsLoader.load(null, Map.of(key, value)))
        .isInstanceOf(SettingsException.class)
        .hasMessageContaining(message);
  }

  @Test
  void layerSizesMustBePositive() throws Exception {
    File file = dir.resolve("bad.conf").toFile();
    Files.writeString(file.toPath(), "vae.model.encoder-layer-sizes = [400, 0]\n");
    assertThatThrownBy(() -> SettingsLoader.load(file, Map.of()))
        .isInstanceOf(SettingsException.class)
        .hasMessageContaining("vae.model.encoder-layer-sizes");
  }

  @Test
  void listOverridesAreParsedAndPathsNeedNoQuoting() {
    Settings s = SettingsLoader.load(
        null,
        Map.of(
            "vae.model.encoder-layer-sizes",
            "[512, 256]",
            "vae.paths.input",
            "hdfs://nn:8020/mnist//raw"));
    assertThat(s.model().encoderLayerSizes()).containsExactly(512, 256);
    assertThat(s.paths().input()).isEqualTo("hdfs://nn:8020/mnist//raw");
  }

  @Test
  void credentialsInSparkConfAreRedactedFromTheRecordedConfig() {
    Settings s = SettingsLoader.load(
        null,
        Map.of(
            "vae.spark.conf.\"spark.hadoop.fs.s3a.secret.key\"", "TOPSECRET123",
            "vae.spark.conf.\"spark.hadoop.fs.s3a.access.key\"", "AKIAEXAMPLE",
            "vae.spark.conf.\"spark.executor.memory\"", "4g"));
    assertThat(s.spark().conf()).containsEntry("spark.hadoop.fs.s3a.secret.key", "TOPSECRET123");
    assertThat(s.toJson())
        .doesNotContain("TOPSECRET123")
        .doesNotContain("AKIAEXAMPLE")
        .contains("<redacted>")
        .contains("4g");
  }

  @Test
  void credentialsInAConfigFileAreRefusedNamingTheKeyAndFile(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("team.conf");
    Files.writeString(
        file,
        "vae.spark.conf {\n  \"spark.executor.memory\" = \"4g\"\n"
            + "  \"spark.hadoop.fs.s3a.secret.key\" = \"TOPSECRET123\"\n}\n");
    assertThatThrownBy(() -> SettingsLoader.load(file.toFile(), Map.of()))
        .isInstanceOf(SettingsException.class)
        .hasMessageContaining("vae.spark.conf.\"spark.hadoop.fs.s3a.secret.key\" is a credential")
        .hasMessageContaining(file.toString())
        .hasMessageContaining("line 3")
        .hasMessageContaining("credential provider")
        .hasMessageNotContaining("TOPSECRET123");
  }
}
