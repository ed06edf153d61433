package org.vaespark.inference;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import org.apache.hadoop.fs.Path;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.vaespark.dataset.Images;
import org.vaespark.error.InputFileException;
import org.vaespark.io.Storage;
import org.vaespark.model.ModelMetadata;
import org.vaespark.model.ModelStore;
import org.vaespark.model.VaeNetworks;
import org.vaespark.model.VaeWeights;

/**
 * A trained model as inference uses it, on the driver: its file, {@code metadata.json} (version, image size,
 * anomaly threshold) and inference weights. Loaded from a published model folder, or from the bytes a
 * {@code VaeModel} keeps.
 */
public final class ScoringModel {
  private final byte[] modelZip;
  private final ModelMetadata metadata;
  private final VaeWeights weights;
  private final Images.Shape shape;

  private ScoringModel(byte[] modelZip, ModelMetadata metadata, VaeWeights weights, String where) {
    this.modelZip = modelZip;
    this.metadata = metadata;
    this.weights = weights;
    this.shape = shapeOf(metadata, weights, where);
  }

  /** The published model in {@code folder} (named as bad input if it is missing, unpublished or unreadable). */
  public static ScoringModel load(Storage storage, Path folder) {
    ModelStore models = new ModelStore(storage);
    MultiLayerNetwork network = models.loadNetwork(folder);
    byte[] zip = storage.readBytes(new Path(folder, ModelStore.MODEL_FILE));
    return new ScoringModel(
        zip, models.loadMetadata(folder), VaeWeights.of(network), folder.toString());
  }

  /** A model from its file's bytes and its metadata ({@code where} is named if the bytes are not a model). */
  public static ScoringModel of(byte[] modelZip, ModelMetadata metadata, String where) {
    MultiLayerNetwork network;
    try {
      network = ModelSerializer.restoreMultiLayerNetwork(new ByteArrayInputStream(modelZip), false);
      VaeNetworks.layerConf(network);
    } catch (IOException | RuntimeException e) {
      throw new InputFileException(
          where + ": not a readable DL4J VAE model (" + e.getMessage() + ")", e);
    }
    return new ScoringModel(modelZip, metadata, VaeWeights.of(network), where);
  }

  public byte[] modelZip() {
    return modelZip;
  }

  public ModelMetadata metadata() {
    return metadata;
  }

  public VaeWeights weights() {
    return weights;
  }

  public String version() {
    return metadata.modelVersion();
  }

  /** The size of the images the model takes. */
  public Images.Shape shape() {
    return shape;
  }

  /** The anomaly threshold, or null for a model trained before thresholds were recorded. */
  public ModelMetadata.Anomaly anomaly() {
    return metadata.anomaly();
  }

  /**
   * The image size: recorded in the metadata, else the configuration it was trained with
   * ({@code vae.prepare.image-size}), else a square of the model's input size.
   */
  private static Images.Shape shapeOf(ModelMetadata metadata, VaeWeights weights, String where) {
    int pixels = weights.inputSize();
    Images.Shape shape = null;
    if (metadata.data() != null && metadata.data().rows() > 0) {
      shape = new Images.Shape(metadata.data().rows(), metadata.data().cols());
    } else if (metadata.config() != null) {
      JsonNode size = metadata.config().path("prepare").path("image-size");
      if (size.isTextual()) {
        String[] sides = size.asText().trim().split("\\s*[xX]\\s*");
        if (sides.length == 2) {
          shape = new Images.Shape(Integer.parseInt(sides[0]), Integer.parseInt(sides[1]));
        }
      }
    }
    if (shape == null) {
      int side = (int) Math.round(Math.sqrt(pixels));
      shape = new Images.Shape(side, side);
    }
    if (shape.pixels() != pixels) {
      throw new InputFileException(
          where + ": the model takes " + pixels + " pixels, but its metadata says images of "
              + shape + ": the model folder is inconsistent");
    }
    return shape;
  }
}
