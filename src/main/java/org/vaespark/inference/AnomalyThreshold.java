package org.vaespark.inference;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vaespark.model.ModelMetadata;
import org.vaespark.model.VaeWeights;
import org.vaespark.runtime.Devices;

/**
 * The anomaly threshold of a model: the {@code quantile} of the importance-sampled {@code log_px} over the train
 * split (all of it up to {@value #MAX_EXAMPLES} examples, a seeded sample of about that many beyond), computed on
 * the executors by the shared {@link Inference} (noise seeded by each batch's first id, as everywhere) and taken
 * with Spark's {@code approxQuantile} at a rank error far below one example for the usual quantiles. Images scored
 * below it are anomalies, in {@code score}, {@code VaeModel.transform} and the SQL functions alike.
 */
public final class AnomalyThreshold {
  /**
   * Train examples the quantile is taken over, at most (about: a seeded sample beyond): at the 0.1% quantile that
   * leaves about 100 examples below the threshold, and the cost stops growing with the split (all of a
   * 10-million-image split at k = 20 would take about half an hour on 2 cores).
   */
  static final long MAX_EXAMPLES = 100_000;

  private static final Logger LOG = LoggerFactory.getLogger(AnomalyThreshold.class);

  private AnomalyThreshold() {}

  /**
   * The threshold over {@code train} ({@code examples} rows; columns {@code id}: long, {@code pixels}: binary),
   * with {@code k} importance samples per example and noise seeds {@code seed} + the first id of each batch.
   */
  public static ModelMetadata.Anomaly compute(
      Dataset<Row> train,
      long examples,
      Broadcast<VaeWeights> weights,
      int k,
      double quantile,
      long seed,
      Instant now) {
    Dataset<Row> rows = train.select("id", "pixels");
    long used = examples;
    if (examples > MAX_EXAMPLES) {
      rows = rows.sample(false, MAX_EXAMPLES / (double) examples, seed);
      used = MAX_EXAMPLES;
    }
    Dataset<Double> logPx = rows.mapPartitions(new LogPx(weights, k, seed), Encoders.DOUBLE());
    double relativeError = Math.min(1e-3, quantile / 10);
    double threshold = logPx
        .toDF("log_px")
        .stat()
        .approxQuantile("log_px", new double[] {quantile}, relativeError)[0];
    LOG.info(
        "Anomaly threshold: log_px {} nats, the {} quantile of {}{} train examples (k = {})",
        threshold,
        quantile,
        used < examples ? "a seeded sample of about " : "",
        used,
        k);
    return new ModelMetadata.Anomaly(quantile, threshold, k, seed, used, now.toString());
  }

  /** Whether an image with this {@code log_px} is an anomaly under {@code anomaly} (never, without a threshold). */
  public static boolean isAnomaly(ModelMetadata.Anomaly anomaly, double logPx) {
    return anomaly != null && logPx < anomaly.logPxThreshold();
  }

  private static final class LogPx implements MapPartitionsFunction<Row, Double> {
    private static final long serialVersionUID = 1L;
    private final Broadcast<VaeWeights> weights;
    private final int k;
    private final long seed;

    LogPx(Broadcast<VaeWeights> weights, int k, long seed) {
      this.weights = weights;
      this.k = k;
      this.seed = seed;
    }

    @Override
    public Iterator<Double> call(Iterator<Row> rows) {
      Devices.prepareTask();
      Inference inference = new Inference(weights.value());
      return Inference.batched(rows, (first, next) -> true, batch -> {
        List<byte[]> pixels = new ArrayList<>(batch.size());
        for (Row row : batch) {
          pixels.add((byte[]) row.get(1));
        }
        Inference.Scored scored = inference.score(pixels, k, seed + batch.get(0).getLong(0));
        List<Double> out = new ArrayList<>(batch.size());
        for (int i = 0; i < batch.size(); i++) {
          out.add(scored.logPx(i));
        }
        return out;
      });
    }
  }
}
