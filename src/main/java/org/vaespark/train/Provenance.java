package org.vaespark.train;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.vaespark.io.Json;
import org.vaespark.io.Sha256;
import org.vaespark.job.JobContext;
import org.vaespark.model.EpochMetrics;
import org.vaespark.model.ModelMetadata;

/**
 * The provenance of a trained model ({@code metadata.json}): its version id, the resolved configuration, the
 * data's location and fingerprint, every epoch's metrics, the build and library versions, and how it was trained.
 */
final class Provenance {
  private static final DateTimeFormatter VERSION_TIME =
      DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

  private final JobContext context;
  /** When the model was trained: both its version id and its {@code created_at} say this instant. */
  private final Instant trainedAt;

  Provenance(JobContext context) {
    this.context = context;
    this.trainedAt = context.now();
  }

  /** A model version id: the UTC time and the first 4 bytes of the model file's SHA-256. */
  String version(byte[] modelZip) {
    return VERSION_TIME.format(trainedAt) + "-" + Sha256.hexPrefix(modelZip, 4);
  }

  ModelMetadata metadata(
      String version,
      MultiLayerNetwork network,
      TrainingData data,
      EpochLoop.Trained trained,
      int workers,
      int resumedFromEpoch) {
    List<EpochMetrics> history = trained.history();
    return new ModelMetadata(
        version,
        trainedAt.toString(),
        configJson(),
        new ModelMetadata.DataInfo(
            data.location(),
            data.source(),
            data.fingerprint(),
            data.trainExamples(),
            data.heldOutExamples(),
            data.shape().rows(),
            data.shape().cols()),
        history.get(history.size() - 1),
        history,
        context.build().versions(),
        context.build().gitCommit(),
        new ModelMetadata.TrainingInfo(
            workers, history.size(), trained.seconds(), network.numParams(), resumedFromEpoch),
        null,
        null);
  }

  private JsonNode configJson() {
    try {
      return Json.MAPPER.readTree(context.settings().toJson());
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot render the resolved configuration", e);
    }
  }
}
