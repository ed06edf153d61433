package org.vaespark.neighbors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.IntStream;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.vaespark.testing.SparkTestBase;

/**
 * The neighbour search on points like a latent space's (ten Gaussian clusters in 20 dimensions, a fixed seed): the
 * exact search against a brute-force computation on the driver, and the LSH search's recall against the exact
 * answer.
 */
class NeighborsTest extends SparkTestBase {
  private static final int D = 20;
  private static final int K = 10;
  private static final StructType SCHEMA = new StructType()
      .add("id", DataTypes.LongType, false)
      .add("label", DataTypes.IntegerType, false)
      .add("z", SQLDataTypes.VectorType(), false);

  /** {@code n} points from ten unit Gaussians whose centres are 3 apart on average, ids from {@code firstId}. */
  private static List<Row> points(int n, long firstId, long seed) {
    Random centres = new Random(1);
    double[][] c = new double[10][D];
    for (double[] centre : c) {
      for (int d = 0; d < D; d++) {
        centre[d] = centres.nextGaussian() * 0.7;
      }
    }
    Random random = new Random(seed);
    List<Row> rows = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      int label = random.nextInt(10);
      double[] z = new double[D];
      for (int d = 0; d < D; d++) {
        z[d] = c[label][d] + random.nextGaussian() * 0.5;
      }
      rows.add(RowFactory.create(firstId + i, label, Vectors.dense(z)));
    }
    return rows;
  }

  private static Dataset<Row> frame(List<Row> rows, int partitions) {
    return spark.createDataFrame(rows, SCHEMA).repartition(partitions);
  }

  /** query id -> neighbour ids by rank. */
  private static Map<Long, List<Long>> byQuery(Dataset<Row> found) {
    Map<Long, List<Long>> out = new HashMap<>();
    found
        .orderBy("query_id", "rank")
        .collectAsList()
        .forEach(
            row -> out.computeIfAbsent(row.getLong(0), q -> new ArrayList<>()).add(row.getLong(2)));
    return out;
  }

  @Test
  void theExactSearchIsTheBruteForceAnswer() {
    List<Row> queries = points(200, 1_000_000, 2);
    List<Row> reference = points(3000, 0, 3); // three blocks of 1024 rows: pairs of blocks merged
    Dataset<Row> found = Neighbors.exact(frame(queries, 3), frame(reference, 2), K);
    Map<Long, List<Long>> exact = byQuery(found);
    assertThat(exact).hasSize(200);
    double[][] ref = reference.stream()
        .map(r -> ((org.apache.spark.ml.linalg.Vector) r.get(2)).toArray())
        .toArray(double[][]::new);
    for (Row q : queries) {
      double[] z = ((org.apache.spark.ml.linalg.Vector) q.get(2)).toArray();
      double[] distance = new double[ref.length];
      for (int j = 0; j < ref.length; j++) {
        for (int d = 0; d < D; d++) {
          distance[j] += (z[d] - ref[j][d]) * (z[d] - ref[j][d]);
        }
      }
      List<Long> brute = IntStream.range(0, ref.length)
          .boxed()
          .sorted(Comparator.comparingDouble(j -> distance[j]))
          .limit(K)
          .map(j -> reference.get(j).getLong(0))
          .toList();
      assertThat(exact.get(q.getLong(0))).as("query " + q.getLong(0)).isEqualTo(brute);
    }
    Row first = found.orderBy("query_id", "rank").first();
    double[] z = ((org.apache.spark.ml.linalg.Vector) queries.get(0).get(2)).toArray();
    Row nearest = reference.stream()
        .filter(r -> r.getLong(0) == first.getLong(2))
        .findFirst()
        .orElseThrow();
    assertThat(first.getDouble(4))
        .isCloseTo(
            Math.sqrt(Vectors.sqdist(
                Vectors.dense(z), (org.apache.spark.ml.linalg.Vector) nearest.get(2))),
            within(1e-5));
  }

  @Test
  void lshRecallAgainstTheExactAnswerOnAFixedSeed() {
    Dataset<Row> queries = frame(points(300, 1_000_000, 4), 2);
    Dataset<Row> reference = frame(points(4000, 0, 5), 2);
    Map<Long, List<Long>> exact = byQuery(Neighbors.exact(queries, reference, K));
    double[] scale = Neighbors.lshScale(queries, reference, K, 11);
    Map<Long, List<Long>> approx =
        byQuery(Neighbors.lsh(queries, reference, K, 8, scale[1], scale[0], 11));
    long hits = 0;
    for (Map.Entry<Long, List<Long>> e : exact.entrySet()) {
      Set<Long> truth = new HashSet<>(e.getValue());
      hits += approx.getOrDefault(e.getKey(), List.of()).stream()
          .filter(truth::contains)
          .count();
    }
    double recall = hits / (double) (exact.size() * K);
    System.out.printf("LSH recall@%d on the fixed seed: %.4f%n", K, recall);
    // The figure stated in docs/performance.md ("Nearest neighbours") for these settings.
    assertThat(recall).isGreaterThanOrEqualTo(0.90);
  }
}
