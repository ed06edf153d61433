package org.vaespark.neighbors;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.row_number;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.ml.feature.BucketedRandomProjectionLSH;
import org.apache.spark.ml.feature.BucketedRandomProjectionLSHModel;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.Tuple2;

/**
 * The k nearest reference rows of each query row in {@code z_mean} space (Euclidean). Both sides are DataFrames
 * with {@code id} (long) and {@code z} (an ML Vector), the reference also {@code label} (int). Two ways:
 * {@link #exact}, blocks of queries against blocks of reference rows on the executors (every pair, each block
 * pair one partial top-k, merged per query), and {@link #lsh}, Spark ML's {@code BucketedRandomProjectionLSH}
 * similarity join within a distance threshold, then the k closest. Both give rows of {@link #SCHEMA}.
 */
public final class Neighbors {
  public static final StructType SCHEMA = new StructType()
      .add("query_id", DataTypes.LongType, false)
      .add("rank", DataTypes.IntegerType, false)
      .add("neighbor_id", DataTypes.LongType, false)
      .add("neighbor_label", DataTypes.IntegerType, false)
      .add("distance", DataTypes.DoubleType, false);

  /** Rows per block of the exact search. */
  static final int BLOCK = 1024;

  private static final Logger LOG = LoggerFactory.getLogger(Neighbors.class);

  private Neighbors() {}

  /**
   * The exact k nearest: every query against every reference row, blocked, on the executors. Both sides' blocks
   * are persisted (memory, else disk): Spark's cartesian product reads the reference partition again for every
   * query block of a task, and without them every read would compute the embeddings again. Spark's context
   * cleaner drops them once the result is no longer referenced.
   */
  public static Dataset<Row> exact(Dataset<Row> queries, Dataset<Row> reference, int k) {
    SparkSession spark = queries.sparkSession();
    JavaRDD<Block> q =
        blocks(queries.select("id", "z").javaRDD(), false).persist(StorageLevel.MEMORY_AND_DISK());
    JavaRDD<Block> r = blocks(reference.select("id", "z", "label").javaRDD(), true)
        .persist(StorageLevel.MEMORY_AND_DISK());
    JavaPairRDD<Long, TopK> partial = q.cartesian(r).flatMapToPair(pair -> {
      Block qb = pair._1();
      Block rb = pair._2();
      List<Tuple2<Long, TopK>> out = new ArrayList<>(qb.size());
      for (int i = 0; i < qb.size(); i++) {
        TopK top = new TopK(k);
        for (int j = 0; j < rb.size(); j++) {
          top.offer(qb.distance(i, rb, j), rb.ids[j], rb.labels[j]);
        }
        out.add(new Tuple2<>(qb.ids[i], top));
      }
      return out.iterator();
    });
    JavaRDD<Row> rows = partial.reduceByKey(TopK::merge).flatMap(entry -> {
      TopK top = entry._2().sorted();
      List<Row> out = new ArrayList<>(top.size);
      for (int rank = 0; rank < top.size; rank++) {
        out.add(RowFactory.create(
            entry._1(), rank + 1, top.ids[rank], top.labels[rank], Math.sqrt(top.distances[rank])));
      }
      return out.iterator();
    });
    return spark.createDataFrame(rows, SCHEMA);
  }

  /**
   * Approximate k nearest with Spark ML's {@code BucketedRandomProjectionLSH}: {@code hashTables} tables of
   * bucket width {@code bucketLength}, pairs within {@code threshold} joined, the k closest kept. A query whose
   * neighbours fall in no shared bucket, or lie beyond the threshold, gets fewer than k rows.
   */
  public static Dataset<Row> lsh(
      Dataset<Row> queries,
      Dataset<Row> reference,
      int k,
      int hashTables,
      double bucketLength,
      double threshold,
      long seed) {
    BucketedRandomProjectionLSHModel model = new BucketedRandomProjectionLSH()
        .setInputCol("z")
        .setOutputCol("hashes")
        .setNumHashTables(hashTables)
        .setBucketLength(bucketLength)
        .setSeed(seed)
        .fit(reference);
    LOG.info(
        "LSH neighbours: {} hash tables, bucket length {}, distance threshold {}",
        hashTables,
        bucketLength,
        threshold);
    Dataset<Row> pairs = model
        .approxSimilarityJoin(
            queries.select("id", "z"), reference.select("id", "label", "z"), threshold, "distance")
        .select(
            col("datasetA.id").as("query_id"),
            col("datasetB.id").as("neighbor_id"),
            col("datasetB.label").as("neighbor_label"),
            col("distance"));
    return pairs
        .withColumn(
            "rank",
            row_number()
                .over(Window.partitionBy("query_id").orderBy(col("distance"), col("neighbor_id"))))
        .where(col("rank").leq(k))
        .select("query_id", "rank", "neighbor_id", "neighbor_label", "distance");
  }

  /**
   * The distance threshold and bucket length the LSH search uses when not given: from the exact k-th neighbour
   * distances of a sample of at most 256 queries, the threshold is their 95th percentile plus a quarter (so that
   * most queries keep all k neighbours) and the bucket length their median.
   */
  public static double[] lshScale(Dataset<Row> queries, Dataset<Row> reference, int k, long seed) {
    long n = queries.count();
    Dataset<Row> sample =
        n <= 256 ? queries : queries.sample(Math.min(1.0, 300.0 / n), seed).limit(256);
    List<Row> kth = exact(sample, reference, k)
        .where(col("rank").equalTo(k))
        .select("distance")
        .collectAsList();
    double[] distances = kth.stream().mapToDouble(r -> r.getDouble(0)).sorted().toArray();
    if (distances.length == 0) {
      return new double[] {1, 1};
    }
    double p95 = distances[Math.min(distances.length - 1, (int) (0.95 * distances.length))];
    double median = distances[distances.length / 2];
    return new double[] {p95 * 1.25, median};
  }

  /** Rows of one partition as blocks of up to {@link #BLOCK}. */
  private static JavaRDD<Block> blocks(JavaRDD<Row> rows, boolean labelled) {
    return rows.mapPartitions((Iterator<Row> it) -> {
      List<Block> out = new ArrayList<>();
      List<Row> chunk = new ArrayList<>(BLOCK);
      while (it.hasNext()) {
        chunk.add(it.next());
        if (chunk.size() == BLOCK || !it.hasNext()) {
          out.add(Block.of(chunk, labelled));
          chunk.clear();
        }
      }
      return out.iterator();
    });
  }

  /** Rows of vectors side by side: ids, labels, and the vectors flattened row after row. */
  static final class Block implements Serializable {
    private static final long serialVersionUID = 1L;
    final long[] ids;
    final int[] labels;
    final float[] z;
    final int d;

    Block(long[] ids, int[] labels, float[] z, int d) {
      this.ids = ids;
      this.labels = labels;
      this.z = z;
      this.d = d;
    }

    static Block of(List<Row> rows, boolean labelled) {
      int n = rows.size();
      int d = ((Vector) rows.get(0).get(1)).size();
      long[] ids = new long[n];
      int[] labels = new int[n];
      float[] z = new float[n * d];
      for (int i = 0; i < n; i++) {
        Row row = rows.get(i);
        ids[i] = row.getLong(0);
        labels[i] = labelled ? row.getInt(2) : -1;
        double[] v = ((Vector) row.get(1)).toArray();
        for (int c = 0; c < d; c++) {
          z[i * d + c] = (float) v[c];
        }
      }
      return new Block(ids, labels, z, d);
    }

    int size() {
      return ids.length;
    }

    /** Squared distance between row i of this block and row j of {@code other}, in double precision. */
    double distance(int i, Block other, int j) {
      double sum = 0;
      for (int c = 0; c < d; c++) {
        double diff = (double) z[i * d + c] - other.z[j * d + c];
        sum += diff * diff;
      }
      return sum;
    }
  }

  /** The k smallest (squared distance, id) seen, ties broken by the smaller id. */
  static final class TopK implements Serializable {
    private static final long serialVersionUID = 1L;
    final int k;
    final long[] ids;
    final int[] labels;
    final double[] distances;
    int size;

    TopK(int k) {
      this.k = k;
      this.ids = new long[k];
      this.labels = new int[k];
      this.distances = new double[k];
    }

    /** Keeps (distance, id) if it is among the k smallest; the entries stay sorted ascending. */
    void offer(double distance, long id, int label) {
      if (size == k && !before(distance, id, distances[k - 1], ids[k - 1])) {
        return;
      }
      int at = size == k ? k - 1 : size++;
      while (at > 0 && before(distance, id, distances[at - 1], ids[at - 1])) {
        distances[at] = distances[at - 1];
        ids[at] = ids[at - 1];
        labels[at] = labels[at - 1];
        at--;
      }
      distances[at] = distance;
      ids[at] = id;
      labels[at] = label;
    }

    private static boolean before(double d1, long id1, double d2, long id2) {
      return d1 < d2 || (d1 == d2 && id1 < id2);
    }

    static TopK merge(TopK a, TopK b) {
      TopK out = new TopK(a.k);
      for (int i = 0; i < a.size; i++) {
        out.offer(a.distances[i], a.ids[i], a.labels[i]);
      }
      for (int i = 0; i < b.size; i++) {
        out.offer(b.distances[i], b.ids[i], b.labels[i]);
      }
      return out;
    }

    TopK sorted() {
      return this;
    }

    @Override
    public String toString() {
      return Arrays.toString(Arrays.copyOf(ids, size));
    }
  }
}
