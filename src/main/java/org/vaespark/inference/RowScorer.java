package org.vaespark.inference;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.vaespark.model.ModelMetadata;
import org.vaespark.model.VaeWeights;
import org.vaespark.runtime.Devices;
import org.vaespark.source.ImageColumn;

/**
 * Scores the rows of any DataFrame on the executors with the shared {@link Inference}, the weights broadcast once:
 * each row keeps its columns and gains {@code z_mean}, {@code z_log_var} (ML Vectors, or {@code array<float>} as
 * in the embeddings table), {@code log_px}, {@code reconstruction_log_prob} and {@code is_anomaly}. Rows go in
 * batches of up to {@link Inference#BATCH} within a partition; a batch's noise is seeded by the seed plus its
 * first id (as {@code generate} seeds it), or without an id column by the partition and position.
 * {@code VaeModel.transform} and {@code score} both run it.
 */
public final class RowScorer {
  private RowScorer() {}

  /** The output columns' names, in order: z mean, z log-variance, log p(x), reconstruction, anomaly. */
  public record Columns(
      String zMean, String zLogVar, String logPx, String reconstruction, String anomaly) {
    public static final Columns DEFAULT =
        new Columns("z_mean", "z_log_var", "log_px", "reconstruction_log_prob", "is_anomaly");
  }

  /**
   * {@code rows} scored: the image in column {@code imageCol} (read by {@code images}), the id in {@code idCol}
   * (null: none), {@code k} importance samples (0: no log_px, NaN), noise seeds from {@code seed}.
   */
  public static Dataset<Row> score(
      Dataset<Row> rows,
      Broadcast<VaeWeights> weights,
      ImageColumn.Reader images,
      String imageCol,
      String idCol,
      int k,
      long seed,
      ModelMetadata.Anomaly anomaly,
      Columns columns,
      boolean vectors) {
    StructType schema = rows.schema();
    StructType out = schema
        .add(columns.zMean(), vectors ? SQLDataTypes.VectorType() : floats(), false)
        .add(columns.zLogVar(), vectors ? SQLDataTypes.VectorType() : floats(), false)
        .add(columns.logPx(), DataTypes.DoubleType, false)
        .add(columns.reconstruction(), DataTypes.DoubleType, false)
        .add(columns.anomaly(), DataTypes.BooleanType, false);
    Score function = new Score(
        weights,
        images,
        schema.fieldIndex(imageCol),
        idCol == null ? -1 : schema.fieldIndex(idCol),
        k,
        seed,
        anomaly == null ? Double.NaN : anomaly.logPxThreshold(),
        vectors);
    return rows.mapPartitions(function, Encoders.row(out));
  }

  private static org.apache.spark.sql.types.DataType floats() {
    return DataTypes.createArrayType(DataTypes.FloatType, false);
  }

  private static final class Score implements MapPartitionsFunction<Row, Row> {
    private static final long serialVersionUID = 1L;
    private final Broadcast<VaeWeights> weights;
    private final ImageColumn.Reader images;
    private final int image;
    private final int id;
    private final int k;
    private final long seed;
    private final double threshold;
    private final boolean vectors;

    Score(
        Broadcast<VaeWeights> weights,
        ImageColumn.Reader images,
        int image,
        int id,
        int k,
        long seed,
        double threshold,
        boolean vectors) {
      this.weights = weights;
      this.images = images;
      this.image = image;
      this.id = id;
      this.k = k;
      this.seed = seed;
      this.threshold = threshold;
      this.vectors = vectors;
    }

    @Override
    public Iterator<Row> call(Iterator<Row> rows) {
      Devices.prepareTask();
      Inference inference = new Inference(weights.value());
      TaskContext task = TaskContext.get();
      long partition = task == null ? 0 : task.partitionId();
      long[] position = {0};
      return Inference.batched(rows, (first, next) -> true, batch -> {
        long noise = id >= 0
            ? seed + ((Number) batch.get(0).get(id)).longValue()
            : seed + (partition << 32) + position[0];
        position[0] += batch.size();
        return scoreBatch(inference, batch, noise);
      });
    }

    private List<Row> scoreBatch(Inference inference, List<Row> batch, long noise) {
      List<byte[]> pixels = new ArrayList<>(batch.size());
      for (Row row : batch) {
        pixels.add(images.pixels(row, image));
      }
      Inference.Scored scored = inference.score(pixels, k, noise);
      List<Row> out = new ArrayList<>(batch.size());
      for (int i = 0; i < batch.size(); i++) {
        Row row = batch.get(i);
        Object[] values = new Object[row.length() + 5];
        for (int c = 0; c < row.length(); c++) {
          values[c] = row.get(c);
        }
        int at = row.length();
        values[at] = vector(scored.zMean(i));
        values[at + 1] = vector(scored.zLogVar(i));
        values[at + 2] = scored.logPx(i);
        values[at + 3] = scored.reconstructionLogProb(i);
        values[at + 4] = scored.logPx(i) < threshold;
        out.add(RowFactory.create(values));
      }
      return out;
    }

    private Object vector(float[] values) {
      if (!vectors) {
        return Inference.boxed(values);
      }
      double[] doubles = new double[values.length];
      for (int i = 0; i < values.length; i++) {
        doubles[i] = values[i];
      }
      return Vectors.dense(doubles);
    }
  }
}
