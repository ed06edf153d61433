package org.vaespark.source;

import java.io.Serializable;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.TreeMap;
import java.util.function.Consumer;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.function.Function2;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.CollectionAccumulator;
import org.vaespark.dataset.Images;
import org.vaespark.dataset.MnistDataset;
import org.vaespark.error.InputFileException;
import org.vaespark.io.Sha256;
import org.vaespark.io.Storage;

/**
 * The shared part of the image-folder and Parquet sources: input rows (one image each) become dataset rows on the
 * executors, both splits in one pass, and are written as the dataset's two split folders.
 *
 * <p>An example's split is the input's own (a train/ or test/ folder, a split column) or, when it has none, decided
 * by the SHA-256 of its pixels: the example is held out when the last 8 bytes of that hash, as a fraction of 2^64,
 * are below {@code vae.prepare.test-fraction}; the same image always lands in the same split. Ids are the rows'
 * positions in the order Spark scans the input (0, 1, ...; a cheap counting pass over the input's partitions
 * first), interleaved between the splits.
 *
 * <p>The fingerprint does not depend on the order or partitioning of the scan: per split, the sum modulo 2^256 of
 * SHA-256(SHA-256(pixels), label) over its examples, and its count, hashed with the kind of input, the image size
 * and the label index.
 */
final class ImageRows {
  private static final String DIR = "_dir";
  private static final StructType ROWS_SCHEMA =
      MnistDataset.SCHEMA.add(DataTypes.createStructField(DIR, DataTypes.StringType, false));
  private static final BigInteger MODULUS = BigInteger.ONE.shiftLeft(256);

  /** One input row as an example: its pixels at the dataset's size, label, and split (null: decided by hash). */
  record Example(byte[] pixels, int label, String split) {}

  /** Turns one input row into an example, on an executor; bad input throws, naming the file. */
  @FunctionalInterface
  interface Decoder extends Serializable {
    Example decode(Row row);
  }

  private final SparkSession spark;
  private final Storage storage;
  private final String kind;
  private final Images.Shape shape;
  private final List<String> labels;
  private final double testFraction;

  ImageRows(
      SparkSession spark,
      Storage storage,
      String kind,
      Images.Shape shape,
      List<String> labels,
      double testFraction) {
    this.spark = spark;
    this.storage = storage;
    this.kind = kind;
    this.shape = shape;
    this.labels = labels;
    this.testFraction = testFraction;
  }

  /**
   * Reads every input row and returns what the dataset would hold, writing nothing. {@code input} holds the input
   * rows; {@code positions} the same partitions with as little read as possible (for the ids).
   */
  SourceSummary scan(JavaRDD<Row> input, JavaRDD<?> positions, Decoder decoder) {
    long[] offsets = offsets(positions);
    Convert convert = new Convert(offsets, decoder, testFraction, false);
    List<PartSummary> parts = TaskFailures.run(() -> input
        .mapPartitionsWithIndex(
            (Function2<Integer, Iterator<Row>, Iterator<PartSummary>>) (p, rows) -> {
              PartSummary[] done = new PartSummary[1];
              Iterator<Row> out = convert.rows(p, rows, s -> done[0] = s);
              while (out.hasNext()) {
                out.next();
              }
              return List.of(done[0]).iterator();
            },
            true)
        .collect());
    return summary(parts, offsets);
  }

  /** Writes the examples of {@code input} under {@code folder}/train and {@code folder}/test. */
  SourceSummary write(JavaRDD<Row> input, JavaRDD<?> positions, Decoder decoder, Path folder) {
    long[] offsets = offsets(positions);
    CollectionAccumulator<PartSummary> reported =
        spark.sparkContext().collectionAccumulator(kind + " partition summaries");
    Convert convert = new Convert(offsets, decoder, testFraction, false);
    JavaRDD<Row> rows = input.mapPartitionsWithIndex(
        (Function2<Integer, Iterator<Row>, Iterator<Row>>)
            (p, it) -> convert.rows(p, it, reported::add),
        true);
    Path written = new Path(folder, "_rows");
    TaskFailures.run(() -> spark
        .createDataFrame(rows, ROWS_SCHEMA)
        .write()
        .partitionBy(DIR)
        .option("parquet.enable.dictionary#pixels", "false")
        .mode(SaveMode.ErrorIfExists)
        .parquet(written.toString()));
    SourceSummary summary = summary(reported.value(), offsets);
    for (String split : List.of(MnistDataset.TRAIN, MnistDataset.TEST)) {
      storage.rename(new Path(written, DIR + "=" + split), new Path(folder, split));
    }
    storage.delete(written);
    return summary;
  }

  /**
   * The examples of {@code input} as dataset rows with the file each came from ({@link Source#EXAMPLES}), read when
   * the returned DataFrame is computed; nothing is checked about the splits (for scoring).
   */
  org.apache.spark.sql.Dataset<Row> examples(
      JavaRDD<Row> input, JavaRDD<?> positions, Decoder decoder) {
    long[] offsets = offsets(positions);
    Convert convert = new Convert(offsets, decoder, testFraction, true);
    JavaRDD<Row> rows = input.mapPartitionsWithIndex(
        (Function2<Integer, Iterator<Row>, Iterator<Row>>)
            (p, it) -> convert.rows(p, it, summary -> {}),
        true);
    return spark.createDataFrame(rows, Source.EXAMPLES);
  }

  /** The first id of every partition of {@code positions}: a counting pass that reads as little as it can. */
  private static long[] offsets(JavaRDD<?> positions) {
    List<Long> counts = TaskFailures.run(() -> positions
        .mapPartitions(it -> {
          long n = 0;
          for (; it.hasNext(); it.next()) {
            n++;
          }
          return List.of(n).iterator();
        })
        .collect());
    long[] offsets = new long[counts.size() + 1];
    for (int p = 0; p < counts.size(); p++) {
      offsets[p + 1] = offsets[p] + counts.get(p);
    }
    return offsets;
  }

  private SourceSummary summary(List<PartSummary> reported, long[] offsets) {
    Map<Integer, PartSummary> byPartition = new TreeMap<>();
    for (PartSummary part : reported) {
      byPartition.put(part.partition, part);
    }
    long[] counts = new long[2];
    BigInteger[] sums = {BigInteger.ZERO, BigInteger.ZERO};
    for (PartSummary part : byPartition.values()) {
      if (part.rows != offsets[part.partition + 1] - offsets[part.partition]) {
        throw new IllegalStateException("partition " + part.partition + " of the " + kind
            + " input held " + part.rows + " rows, but its counting pass saw "
            + (offsets[part.partition + 1] - offsets[part.partition]));
      }
      for (int s = 0; s < 2; s++) {
        counts[s] += part.counts[s];
        sums[s] = sums[s].add(new BigInteger(1, part.sums[s])).mod(MODULUS);
      }
    }
    if (byPartition.size() != offsets.length - 1) {
      throw new IllegalStateException(byPartition.size() + " of " + (offsets.length - 1)
          + " partitions of the " + kind + " input reported");
    }
    requireNonEmpty(counts);
    MessageDigest fingerprint = Sha256.newDigest();
    fingerprint.update(
        (kind + "\n" + shape + "\n" + (labels == null ? "" : String.join("\n", labels)) + "\n")
            .getBytes(StandardCharsets.UTF_8));
    for (int s = 0; s < 2; s++) {
      fingerprint.update(ByteBuffer.allocate(8).putLong(counts[s]).array());
      fingerprint.update(unsigned256(sums[s]));
    }
    return new SourceSummary(
        kind,
        counts[0],
        counts[1],
        "sha256:" + HexFormat.of().formatHex(fingerprint.digest()),
        labels);
  }

  private void requireNonEmpty(long[] counts) {
    if (counts[0] == 0 && counts[1] == 0) {
      throw new InputFileException("the " + kind + " input holds no images: check vae.paths.input");
    }
    for (int s = 0; s < 2; s++) {
      if (counts[s] == 0) {
        String split = s == 0 ? MnistDataset.TRAIN : MnistDataset.TEST;
        throw new InputFileException(
            "the " + split + " split would be empty: of the "
                + (counts[0] + counts[1]) + " images of the " + kind + " input, none went to '"
                + split
                + "'; add images (or, for an input without its own split, change vae.prepare.test-fraction)");
      }
    }
  }

  private static byte[] unsigned256(BigInteger value) {
    byte[] bytes = value.toByteArray();
    byte[] out = new byte[32];
    int n = Math.min(bytes.length, 32);
    System.arraycopy(bytes, bytes.length - n, out, 32 - n, n);
    return out;
  }

  /** What one partition held: its rows, and per split (train, test) the count and the digest sum. */
  static final class PartSummary implements Serializable {
    private static final long serialVersionUID = 1L;
    final int partition;
    final long rows;
    final long[] counts;
    final byte[][] sums;

    PartSummary(int partition, long rows, long[] counts, byte[][] sums) {
      this.partition = partition;
      this.rows = rows;
      this.counts = counts;
      this.sums = sums;
    }
  }

  /** The executor side: input rows of one partition to dataset rows, with the partition's summary at the end. */
  private static final class Convert implements Serializable {
    private static final long serialVersionUID = 1L;
    private final long[] offsets;
    private final Decoder decoder;
    private final double testFraction;

    private final boolean withPath;

    Convert(long[] offsets, Decoder decoder, double testFraction, boolean withPath) {
      this.withPath = withPath;
      this.offsets = offsets;
      this.decoder = decoder;
      this.testFraction = testFraction;
    }

    Iterator<Row> rows(int partition, Iterator<Row> input, Consumer<PartSummary> done) {
      return new Iterator<>() {
        private final long[] counts = new long[2];
        private final BigInteger[] sums = {BigInteger.ZERO, BigInteger.ZERO};
        private long position;
        private boolean finished;

        @Override
        public boolean hasNext() {
          if (input.hasNext()) {
            return true;
          }
          if (!finished) {
            finished = true;
            done.accept(new PartSummary(partition, position, counts, new byte[][] {
              unsigned256(sums[0]), unsigned256(sums[1])
            }));
          }
          return false;
        }

        @Override
        public Row next() {
          if (!hasNext()) {
            throw new NoSuchElementException();
          }
          Row in = input.next();
          Example example = decoder.decode(in);
          MessageDigest sha = Sha256.newDigest();
          byte[] pixelsDigest = sha.digest(example.pixels());
          String split = example.split() != null
              ? example.split()
              : heldOut(pixelsDigest, testFraction) ? MnistDataset.TEST : MnistDataset.TRAIN;
          sha.update(pixelsDigest);
          sha.update(ByteBuffer.allocate(4).putInt(example.label()).array());
          int s = MnistDataset.TRAIN.equals(split) ? 0 : 1;
          counts[s]++;
          sums[s] = sums[s].add(new BigInteger(1, sha.digest())).mod(MODULUS);
          long id = offsets[partition] + position++;
          // The last column: the split (the folder it is written to), or the file the image came
          // from.
          Object last = withPath ? (in.isNullAt(0) ? null : in.getString(0)) : split;
          return RowFactory.create(id, example.label(), split, example.pixels(), last);
        }
      };
    }

    private static boolean heldOut(byte[] digest, double fraction) {
      // The last 8 bytes: data sets ordered by this very hash (the bundled sample is) still split
      // evenly.
      long high = ByteBuffer.wrap(digest, digest.length - 8, 8).getLong();
      return (high >>> 11) * 0x1.0p-53 < fraction;
    }
  }
}
