package org.vaespark.model;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.fs.Path;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.vaespark.dataset.MnistDataset;
import org.vaespark.error.InputFileException;
import org.vaespark.io.Json;
import org.vaespark.io.Storage;

/**
 * A published model folder: {@code model.zip} (DL4J's own format, with updater state), {@code metadata.json},
 * {@code metrics.jsonl} and {@code _SUCCESS}. Loading reads only these files and DL4J's model format: nothing in
 * them is executed as code (see README, "Trust boundary").
 */
public final class ModelStore {
  public static final String MODEL_FILE = "model.zip";
  public static final String METADATA_FILE = "metadata.json";
  public static final String METRICS_FILE = "metrics.jsonl";

  private final Storage storage;

  public ModelStore(Storage storage) {
    this.storage = storage;
  }

  /** The model serialised in memory, so that its hash can be part of the model version. */
  public static byte[] serialize(MultiLayerNetwork network) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      ModelSerializer.writeModel(network, out, true);
    } catch (IOException e) {
      throw new IllegalStateException("cannot serialise the model: " + e.getMessage(), e);
    }
    return out.toByteArray();
  }

  public void writeModel(Path folder, byte[] modelZip) {
    storage.writeBytes(new Path(folder, MODEL_FILE), modelZip);
  }

  public void writeMetadata(Path folder, ModelMetadata metadata) {
    storage.writeString(new Path(folder, METADATA_FILE), Json.pretty(metadata));
  }

  public void writeMetrics(Path folder, List<EpochMetrics> metrics) {
    StringBuilder lines = new StringBuilder();
    for (EpochMetrics m : metrics) {
      lines.append(Json.line(m)).append('\n');
    }
    storage.writeString(new Path(folder, METRICS_FILE), lines.toString());
  }

  public MultiLayerNetwork loadNetwork(Path folder) {
    return loadNetwork(folder, false);
  }

  /** Loads the network of a published folder, with its updater (Adam) state when {@code withUpdater}. */
  public MultiLayerNetwork loadNetwork(Path folder, boolean withUpdater) {
    storage.requirePublished(folder, "model", "train");
    Path file = new Path(folder, MODEL_FILE);
    if (!storage.exists(file)) {
      throw new InputFileException(file + ": model file not found in the published model folder");
    }
    MultiLayerNetwork network;
    // A read error (a checksum mismatch of a cut-off file) is the same failure as an unreadable
    // zip.
    try (InputStream in = storage.fs(file).open(file)) {
      network = ModelSerializer.restoreMultiLayerNetwork(
          new ByteArrayInputStream(in.readAllBytes()), withUpdater);
    } catch (IOException | RuntimeException e) {
      throw new InputFileException(
          file + ": not a readable DL4J model (" + e.getMessage()
              + "); the file is corrupt or truncated, retrain it",
          e);
    }
    try {
      VaeNetworks.layerConf(network);
    } catch (IllegalArgumentException e) {
      throw new InputFileException(file + ": " + e.getMessage(), e);
    }
    return network;
  }

  /**
   * The inference weights of a published model, checked to take the images of {@code dataset}: a model trained
   * on other data is named as such.
   */
  public VaeWeights loadWeights(Path folder, MnistDataset dataset) {
    VaeWeights weights = VaeWeights.of(loadNetwork(folder));
    int pixels = dataset.manifest().pixels();
    if (weights.inputSize() != pixels) {
      throw new InputFileException(folder + ": model input size is " + weights.inputSize()
          + ", but the data has " + pixels + " pixels per example (dataset at " + dataset.root()
          + "): use a model trained on this dataset");
    }
    return weights;
  }

  /** Records an evaluation in the model's metadata.json, replacing the file in one atomic rename. */
  public void recordEvaluation(Path folder, Evaluation evaluation) {
    ModelMetadata metadata = loadMetadata(folder).withEvaluation(evaluation);
    storage.replace(new Path(folder, METADATA_FILE), Json.pretty(metadata));
  }

  /** Records an anomaly threshold in the model's metadata.json, replacing the file in one atomic rename. */
  public void recordAnomaly(Path folder, ModelMetadata.Anomaly anomaly) {
    ModelMetadata metadata = loadMetadata(folder).withAnomaly(anomaly);
    storage.replace(new Path(folder, METADATA_FILE), Json.pretty(metadata));
  }

  public ModelMetadata loadMetadata(Path folder) {
    Path file = new Path(folder, METADATA_FILE);
    return Json.parse(storage.readString(file), ModelMetadata.class, file.toString());
  }

  public List<EpochMetrics> loadMetrics(Path folder) {
    Path file = new Path(folder, METRICS_FILE);
    return parseMetrics(storage.readString(file), file.toString());
  }

  /** The lines of a {@code metrics.jsonl} read from {@code source}. */
  public static List<EpochMetrics> parseMetrics(String jsonl, String source) {
    List<EpochMetrics> metrics = new ArrayList<>();
    for (String line : jsonl.split("\n")) {
      if (!line.isBlank()) {
        metrics.add(Json.parse(line, EpochMetrics.class, source));
      }
    }
    return metrics;
  }
}
