package org.vaespark.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.vaespark.config.Settings;
import org.vaespark.dataset.Images;
import org.vaespark.dataset.MnistDataset;
import org.vaespark.error.InputFileException;
import org.vaespark.model.ModelMetadata;
import org.vaespark.train.TrainingState;

class JsonTest {
  @Test
  void everyFileIsWrittenWithSnakeCaseKeys() throws Exception {
    String manifest =
        Json.pretty(new MnistDataset.Manifest("/in", "sha256:ab", 60000, 10000, 28, 28));

    assertThat(Json.MAPPER.readTree(manifest).fieldNames())
        .toIterable()
        .containsExactly(
            "source",
            "fingerprint",
            "train_examples",
            "test_examples",
            "rows",
            "cols",
            "input_kind",
            "labels");
  }

  @Test
  void manifestsOfEarlierVersionsWithCamelCaseKeysStillRead() {
    String old = "{\"source\": \"/in\", \"fingerprint\": \"sha256:ab\", \"trainExamples\": 60000, "
        + "\"testExamples\": 10000, \"rows\": 28, \"cols\": 28}";

    MnistDataset.Manifest manifest = Json.parse(old, MnistDataset.Manifest.class, "manifest.json");

    assertThat(manifest.trainExamples()).isEqualTo(60000);
    assertThat(manifest.testExamples()).isEqualTo(10000);
    // Written before other inputs existed: IDX, labels are the digits themselves.
    assertThat(manifest.inputKind()).isNull();
    assertThat(manifest.labels()).isNull();
    assertThat(manifest.shape()).isEqualTo(new Images.Shape(28, 28));
  }

  @Test
  void aManifestRecordsItsInputKindAndLabelIndex() {
    MnistDataset.Manifest written = new MnistDataset.Manifest(
        "/in", "sha256:ab", 6, 2, 64, 64, "image-folder", List.of("cat", "dog"));

    MnistDataset.Manifest read =
        Json.parse(Json.pretty(written), MnistDataset.Manifest.class, "manifest.json");

    assertThat(read).isEqualTo(written);
    assertThat(read.pixels()).isEqualTo(4096);
  }

  @Test
  void oldMetadataKeepsTheKeysOfItsConfigAndVersionsAsWritten() {
    String old = "{\"modelVersion\": \"v1\", \"createdAt\": \"2026-11-01T00:00:00Z\", "
        + "\"config\": {\"spark\": {\"conf\": {\"spark.executor.extraJavaOptions\": \"-Xss4m\"}}}, "
        + "\"data\": {\"trainExamples\": 400, \"testExamples\": 200}, "
        + "\"versions\": {\"nd4jBackend\": \"CpuBackend\"}, \"gitCommit\": \"abc\", "
        + "\"training\": {\"workers\": 2, \"resumedFromEpoch\": 3}}";

    ModelMetadata metadata = Json.parse(old, ModelMetadata.class, "metadata.json");

    assertThat(metadata.modelVersion()).isEqualTo("v1");
    assertThat(metadata.data().trainExamples()).isEqualTo(400);
    assertThat(metadata.training().resumedFromEpoch()).isEqualTo(3);
    assertThat(metadata.gitCommit()).isEqualTo("abc");
    assertThat(
            metadata.config().at("/spark/conf/spark.executor.extraJavaOptions").asText())
        .isEqualTo("-Xss4m");
    assertThat(metadata.versions()).containsKey("nd4jBackend");
  }

  @Test
  void aCheckpointStateRoundTrips() {
    TrainingState state = new TrainingState(
        3,
        120,
        42,
        List.of(),
        12.5,
        "sha256:ab",
        new Settings.ModelSettings(List.of(400), List.of(400), 20, "relu"),
        "2026-11-25T00:00:00Z");

    String json = Json.pretty(state);

    assertThat(json)
        .contains("\"dataset_fingerprint\"")
        .contains("\"training_seconds\"")
        .doesNotContain("Seconds");
    assertThat(Json.parse(json, TrainingState.class, "checkpoint.json")).isEqualTo(state);
  }

  @Test
  void aFileThatIsNotJsonIsNamed() {
    assertThatThrownBy(
            () -> Json.parse("{not json", MnistDataset.Manifest.class, "/data/manifest.json"))
        .isInstanceOf(InputFileException.class)
        .hasMessageStartingWith("/data/manifest.json: not valid JSON for Manifest");
  }
}
