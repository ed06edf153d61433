package org.vaespark.evaluate;

import static org.apache.spark.sql.functions.col;

import java.util.List;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.vaespark.dataset.MnistDataset;
import org.vaespark.model.VaeWeights;
import org.vaespark.neighbors.NeighborSearch;
import org.vaespark.neighbors.Neighbors;

/**
 * How much class structure the latent space holds: the share of held-out examples whose label is the majority
 * label of their k nearest train embeddings in {@code z_mean} space (ties go to the label of the nearest among
 * the tied), found by the exact neighbour search of {@code neighbors}. NaN for unlabelled data.
 */
final class KnnAccuracy {
  private KnnAccuracy() {}

  static double of(SparkSession spark, MnistDataset dataset, Broadcast<VaeWeights> weights, int k) {
    Dataset<Row> test = NeighborSearch.embed(
        dataset.read(spark, MnistDataset.TEST),
        "pixels",
        weights,
        dataset.manifest().shape());
    Dataset<Row> train = NeighborSearch.embed(
        dataset.read(spark, MnistDataset.TRAIN),
        "pixels",
        weights,
        dataset.manifest().shape());
    List<Row> labelled = test.where(col("label").geq(0)).limit(1).collectAsList();
    if (labelled.isEmpty()) {
      return Double.NaN;
    }
    Dataset<Row> found = Neighbors.exact(test, train, k);
    List<Long> counts = found
        .join(test.select(col("id").as("query_id"), col("label").as("query_label")), "query_id")
        .javaRDD()
        .groupBy(row -> row.getLong(row.fieldIndex("query_id")))
        .map(group -> {
          int[] votes = new int[0];
          int[] firstRank = new int[0];
          int truth = -1;
          for (Row row : group._2()) {
            truth = row.getInt(row.fieldIndex("query_label"));
            int label = row.getInt(row.fieldIndex("neighbor_label"));
            int rank = row.getInt(row.fieldIndex("rank"));
            if (label < 0) {
              continue;
            }
            if (label >= votes.length) {
              votes = java.util.Arrays.copyOf(votes, label + 1);
              int old = firstRank.length;
              firstRank = java.util.Arrays.copyOf(firstRank, label + 1);
              java.util.Arrays.fill(firstRank, old, firstRank.length, Integer.MAX_VALUE);
            }
            votes[label]++;
            firstRank[label] = Math.min(firstRank[label], rank);
          }
          int best = -1;
          for (int l = 0; l < votes.length; l++) {
            if (votes[l] > 0
                && (best < 0
                    || votes[l] > votes[best]
                    || (votes[l] == votes[best] && firstRank[l] < firstRank[best]))) {
              best = l;
            }
          }
          return best == truth ? 1L : 0L;
        })
        .collect();
    long correct = counts.stream().mapToLong(Long::longValue).sum();
    return counts.isEmpty() ? Double.NaN : (double) correct / counts.size();
  }
}
