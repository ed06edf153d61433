package org.vaespark.neighbors;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

import java.util.Arrays;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vaespark.config.Settings;
import org.vaespark.dataset.Images;
import org.vaespark.inference.RowScorer;
import org.vaespark.model.VaeWeights;
import org.vaespark.source.ImageColumn;

/**
 * Nearest train embeddings of query images: both sides embedded by the shared inference ({@code z_mean} only),
 * then {@link Neighbors#exact} while queries x reference rows is at most {@code vae.neighbors.exact-max-pairs},
 * else {@link Neighbors#lsh} ({@code vae.neighbors.method} forces either).
 */
public final class NeighborSearch {
  private static final Logger LOG = LoggerFactory.getLogger(NeighborSearch.class);

  private NeighborSearch() {}

  /**
   * Rows with {@code id}, {@code label} (or -1) and an image column as {@code id}, {@code label}, {@code z} (the
   * z_mean ML Vector), computed on the executors.
   */
  public static Dataset<Row> embed(
      Dataset<Row> rows, String imageCol, Broadcast<VaeWeights> weights, Images.Shape shape) {
    Dataset<Row> in = Arrays.asList(rows.columns()).contains("label")
        ? rows.select(col("id"), col("label"), col(imageCol))
        : rows.select(col("id"), lit(-1).as("label"), col(imageCol));
    return RowScorer.score(
            in,
            weights,
            new ImageColumn.Reader(shape, "the images", imageCol),
            imageCol,
            "id",
            0,
            0,
            null,
            RowScorer.Columns.DEFAULT,
            true)
        .select(col("id"), col("label"), col("z_mean").as("z"));
  }

  /** The method {@code auto} picks for this many pairs, or the one set. */
  public static String method(Settings.NeighborSettings settings, long pairs) {
    if (!Settings.NeighborSettings.AUTO.equals(settings.method())) {
      return settings.method();
    }
    return pairs <= settings.exactMaxPairs()
        ? Settings.NeighborSettings.EXACT
        : Settings.NeighborSettings.LSH;
  }

  /** The {@code k} nearest reference rows of each query (both: id, label, z), by {@code method}. */
  public static Dataset<Row> find(
      Dataset<Row> queries,
      Dataset<Row> reference,
      int k,
      String method,
      Settings.NeighborSettings settings) {
    if (Settings.NeighborSettings.EXACT.equals(method)) {
      return Neighbors.exact(queries, reference, k);
    }
    double[] scale = Neighbors.lshScale(queries, reference, k, settings.seed());
    double bucket = settings.bucketLength() > 0 ? settings.bucketLength() : scale[1];
    LOG.info("LSH scale from a sample of exact answers: threshold {}, bucket {}", scale[0], bucket);
    return Neighbors.lsh(
        queries, reference, k, settings.hashTables(), bucket, scale[0], settings.seed());
  }
}
