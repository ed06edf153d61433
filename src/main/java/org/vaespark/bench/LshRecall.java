package org.vaespark.bench;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.vaespark.dataset.MnistDataset;
import org.vaespark.inference.ScoringModel;
import org.vaespark.io.Storage;
import org.vaespark.model.VaeWeights;
import org.vaespark.neighbors.NeighborSearch;
import org.vaespark.neighbors.Neighbors;
import org.vaespark.runtime.NativeBuilds;

/**
 * Measures the LSH neighbour search against the exact one: the test split's z_mean (queries) against the train
 * split's (reference) of a published dataset, with a published model; prints recall@k and both times as one JSON
 * object. Usage: {@code LshRecall MODEL DATASET K HASH_TABLES [BUCKET_FACTOR [QUERIES]]} (bucket length = factor
 * x the median exact k-th neighbour distance of a sample, as {@code vae.neighbors.lsh.bucket-length = 0} chooses
 * it with factor 1; QUERIES: a seeded random sample of about that many test rows as queries, all by default).
 * Run through {@code deploy/vae-local.sh} with {@code VAE_MAIN=org.vaespark.bench.LshRecall}.
 */
public final class LshRecall {
  private LshRecall() {}

  public static void main(String[] args) {
    NativeBuilds.configure();
    SparkSession spark = SparkSession.builder()
        .master(System.getProperty("spark.master", "local[*]"))
        .appName("lsh-recall")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "16")
        .getOrCreate();
    Storage storage = new Storage(spark.sparkContext().hadoopConfiguration());
    ScoringModel model = ScoringModel.load(storage, new Path(args[0]));
    MnistDataset dataset = MnistDataset.open(storage, args[1]);
    int k = Integer.parseInt(args[2]);
    int tables = Integer.parseInt(args[3]);
    double factor = args.length > 4 ? Double.parseDouble(args[4]) : 1.0;
    long sample = args.length > 5 ? Long.parseLong(args[5]) : Long.MAX_VALUE;
    Broadcast<VaeWeights> weights =
        JavaSparkContext.fromSparkContext(spark.sparkContext()).broadcast(model.weights());
    Dataset<Row> test = dataset.read(spark, MnistDataset.TEST);
    long tests = dataset.manifest().testExamples();
    if (sample < tests) {
      test = test.sample(false, sample / (double) tests, 11);
    }
    Dataset<Row> queries = NeighborSearch.embed(test, "pixels", weights, model.shape())
        .persist(StorageLevel.MEMORY_AND_DISK());
    Dataset<Row> reference = NeighborSearch.embed(
            dataset.read(spark, MnistDataset.TRAIN), "pixels", weights, model.shape())
        .persist(StorageLevel.MEMORY_AND_DISK());
    long q = queries.count();
    long r = reference.count();
    long t0 = System.nanoTime();
    Map<Long, Set<Long>> exact = collect(Neighbors.exact(queries, reference, k));
    double exactSeconds = (System.nanoTime() - t0) / 1e9;
    t0 = System.nanoTime();
    double[] scale = Neighbors.lshScale(queries, reference, k, 11);
    Map<Long, Set<Long>> approx =
        collect(Neighbors.lsh(queries, reference, k, tables, scale[1] * factor, scale[0], 11));
    double lshSeconds = (System.nanoTime() - t0) / 1e9;
    long hits = 0;
    for (Map.Entry<Long, Set<Long>> e : exact.entrySet()) {
      Set<Long> found = approx.getOrDefault(e.getKey(), Set.of());
      hits += e.getValue().stream().filter(found::contains).count();
    }
    System.out.printf(
        Locale.ROOT,
        "{\"queries\": %d, \"reference\": %d, \"k\": %d, \"hash_tables\": %d, \"bucket_length\": %.4f, "
            + "\"threshold\": %.4f, \"recall\": %.4f, \"exact_seconds\": %.1f, \"lsh_seconds\": %.1f, "
            + "\"model_version\": \"%s\"}%n",
        q,
        r,
        k,
        tables,
        scale[1] * factor,
        scale[0],
        hits / (double) (exact.size() * (long) k),
        exactSeconds,
        lshSeconds,
        model.version());
    spark.stop();
  }

  private static Map<Long, Set<Long>> collect(Dataset<Row> found) {
    Map<Long, Set<Long>> out = new HashMap<>();
    List<Row> rows = found.select("query_id", "neighbor_id").collectAsList();
    for (Row row : rows) {
      out.computeIfAbsent(row.getLong(0), x -> new HashSet<>()).add(row.getLong(1));
    }
    return out;
  }
}
