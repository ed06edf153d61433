package org.vaespark.generate;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.vaespark.dataset.MnistDataset;
import org.vaespark.inference.Inference;
import org.vaespark.model.VaeWeights;
import org.vaespark.runtime.Devices;

/** Latent embeddings of dataset rows, computed on the executors in batches by the shared {@link Inference}. */
final class Embeddings {
  static final StructType SCHEMA = new StructType(new StructField[] {
    DataTypes.createStructField("id", DataTypes.LongType, false),
    DataTypes.createStructField("label", DataTypes.IntegerType, false),
    DataTypes.createStructField("split", DataTypes.StringType, false),
    DataTypes.createStructField("model_version", DataTypes.StringType, false),
    DataTypes.createStructField(
        "z_mean", DataTypes.createArrayType(DataTypes.FloatType, false), false),
    DataTypes.createStructField(
        "z_log_var", DataTypes.createArrayType(DataTypes.FloatType, false), false),
    DataTypes.createStructField("log_px", DataTypes.DoubleType, false),
    DataTypes.createStructField("reconstruction_log_prob", DataTypes.DoubleType, false)
  });

  private Embeddings() {}

  /** Importance samples per example of each split, and the seed of their noise. */
  record Samples(int test, int train, long seed) implements Serializable {
    int of(String split) {
      return MnistDataset.TRAIN.equals(split) ? train : test;
    }
  }

  static Dataset<Row> of(
      Dataset<Row> examples, Broadcast<VaeWeights> weights, String modelVersion, Samples samples) {
    return examples
        .select("id", "label", "split", "pixels")
        .mapPartitions(new Encode(weights, modelVersion, samples), Encoders.row(SCHEMA));
  }

  private static final class Encode implements MapPartitionsFunction<Row, Row> {
    private static final long serialVersionUID = 1L;
    private final Broadcast<VaeWeights> weights;
    private final String modelVersion;
    private final Samples samples;

    Encode(Broadcast<VaeWeights> weights, String modelVersion, Samples samples) {
      this.weights = weights;
      this.modelVersion = modelVersion;
      this.samples = samples;
    }

    /** Rows out as they are asked for, one batch (of one split) at a time: a partition never sits whole in memory. */
    @Override
    public Iterator<Row> call(Iterator<Row> rows) {
      Devices.prepareTask();
      Inference inference = new Inference(weights.value());
      return Inference.batched(
          rows,
          (first, next) -> first.getString(2).equals(next.getString(2)),
          batch -> encodeBatch(inference, batch));
    }

    /** One batch of one split through the shared inference, its noise seeded by the batch's first id. */
    private List<Row> encodeBatch(Inference inference, List<Row> batch) {
      List<byte[]> pixels = new ArrayList<>(batch.size());
      for (Row row : batch) {
        pixels.add((byte[]) row.get(3));
      }
      long first = batch.get(0).getLong(0);
      Inference.Scored scored =
          inference.score(pixels, samples.of(batch.get(0).getString(2)), samples.seed() + first);
      List<Row> out = new ArrayList<>(batch.size());
      for (int i = 0; i < batch.size(); i++) {
        Row row = batch.get(i);
        out.add(RowFactory.create(
            row.getLong(0),
            row.getInt(1),
            row.getString(2),
            modelVersion,
            Embeddings.boxed(scored.zMean(i)),
            Embeddings.boxed(scored.zLogVar(i)),
            scored.logPx(i),
            scored.reconstructionLogProb(i)));
      }
      return out;
    }
  }

  /** A float vector as the boxed array Spark's {@code array<float>} columns take. */
  public static Float[] boxed(float[] values) {
    return Inference.boxed(values);
  }

  /** An {@code array<float>} column's value as a float vector. */
  public static float[] unboxed(List<Float> values) {
    float[] out = new float[values.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = values.get(i);
    }
    return out;
  }
}
