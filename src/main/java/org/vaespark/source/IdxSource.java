package org.vaespark.source;

import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.util.CollectionAccumulator;
import org.apache.spark.util.SerializableConfiguration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vaespark.dataset.Images;
import org.vaespark.dataset.MnistDataset;
import org.vaespark.error.InputFileException;
import org.vaespark.io.Sha256;
import org.vaespark.io.Storage;

/**
 * The four MNIST IDX files, read on the executors. The driver reads and checks only the headers (magic numbers,
 * counts, dimensions, and the exact length of uncompressed files) and plans ranges of whole records
 * ({@link IdxRange}); tasks read the ranges straight from the Hadoop file system and check every label. An
 * uncompressed split is read in parallel, one range per shard; a gzipped one is streamed by one task, whose
 * output is cut into shards by record count.
 *
 * <p>The fingerprint is a SHA-256 over the four files in a fixed order (train images, train labels, test images,
 * test labels) of each file's digest: SHA-256(header bytes, then the SHA-256 of every digest block of its decoded
 * payload, in order), where a digest block is {@code ceil(count / 4096)} consecutive records. It depends only on
 * the decoded content: neither on compression nor on how many ranges read it.
 */
final class IdxSource implements Source {
  static final String KIND = "idx";
  private static final Logger LOG = LoggerFactory.getLogger(IdxSource.class);

  private final SparkSession spark;
  private final SerializableConfiguration conf;
  private final int shards;
  private final Split train;
  private final Split test;

  /** One split's two files, checked against each other, and its ranges. */
  private record Split(String name, IdxHeader images, IdxHeader labels, List<IdxRange> ranges) {}

  /** Locates the four files in {@code folder} and checks their headers; no payload is read. */
  IdxSource(SparkSession spark, Storage storage, String folder, Images.Shape shape, int shards) {
    this.spark = spark;
    this.conf = new SerializableConfiguration(spark.sparkContext().hadoopConfiguration());
    this.shards = shards;
    IdxFiles files = IdxFiles.locate(storage, folder);
    LOG.info("Reading MNIST IDX files from {}", folder);
    this.train = split(
        storage, MnistDataset.TRAIN, files.trainImages(), files.trainLabels(), shape, 0, shards);
    this.test = split(
        storage,
        MnistDataset.TEST,
        files.testImages(),
        files.testLabels(),
        shape,
        train.images().count,
        shards);
  }

  private static Split split(
      Storage storage,
      String name,
      Path imagesPath,
      Path labelsPath,
      Images.Shape shape,
      long firstId,
      int shards) {
    // Qualified paths: executors resolve them in their own working folders.
    IdxHeader images = IdxHeader.images(storage, qualified(storage, imagesPath), shape);
    IdxHeader labels = IdxHeader.labels(storage, qualified(storage, labelsPath));
    if (images.count != labels.count) {
      throw new InputFileException(images.path + " holds " + images.count + " images but "
          + labels.path + " holds " + labels.count
          + " labels: the two files must come from the same split");
    }
    if (images.count == 0) {
      throw new InputFileException(
          imagesPath + " and " + labelsPath + " declare 0 examples: the "
              + name
              + " split would be empty, and nothing could be trained or evaluated on it; check the input files");
    }
    return new Split(name, images, labels, IdxRange.plan(name, images, labels, firstId, shards));
  }

  private static Path qualified(Storage storage, Path path) {
    return storage.fs(path).makeQualified(path);
  }

  @Override
  public SourceSummary scan() {
    JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    List<IdxRange> all = new ArrayList<>(train.ranges());
    all.addAll(test.ranges());
    SerializableConfiguration conf = this.conf;
    List<IdxRangeDigest> digests = TaskFailures.run(() -> sc.parallelize(all, all.size())
        .map(range -> {
          IdxRangeDigest[] digest = new IdxRangeDigest[1];
          try (IdxRangeReader reader =
              IdxRangeReader.open(range, conf.value(), d -> digest[0] = d)) {
            reader.drain();
          }
          return digest[0];
        })
        .collect());
    return summary(digests);
  }

  @Override
  public SourceSummary write(Path folder) {
    CollectionAccumulator<IdxRangeDigest> digests =
        spark.sparkContext().collectionAccumulator("IDX range digests");
    write(train, new Path(folder, MnistDataset.TRAIN), digests);
    write(test, new Path(folder, MnistDataset.TEST), digests);
    return summary(digests.value());
  }

  @Override
  public org.apache.spark.sql.Dataset<Row> examples() {
    JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    SerializableConfiguration conf = this.conf;
    List<IdxRange> all = new ArrayList<>(train.ranges());
    all.addAll(test.ranges());
    JavaRDD<Row> rows = sc.parallelize(all, all.size())
        .mapPartitions(it -> IdxRangeReader.open(it.next(), conf.value(), digest -> {}))
        .map(row -> org.apache.spark.sql.RowFactory.create(
            row.getLong(0), row.getInt(1), row.getString(2), row.get(3), null));
    return spark.createDataFrame(rows, Source.EXAMPLES);
  }

  private void write(Split split, Path path, CollectionAccumulator<IdxRangeDigest> digests) {
    JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    SerializableConfiguration conf = this.conf;
    List<IdxRange> ranges = split.ranges();
    // Each range is one task and one shard; a streamed (gzipped) split is one task whose rows are
    // cut into
    // shards of at most this many records.
    int blocks = IdxRange.blocks(split.images().count);
    int files = Math.min(shards, blocks);
    long perShard = ranges.get(0).streamed
        ? (long) ranges.get(0).blockSize * ((blocks + files - 1) / files)
        : 0;
    JavaRDD<Row> rows = sc.parallelize(ranges, ranges.size())
        .mapPartitions(it -> IdxRangeReader.open(it.next(), conf.value(), digests::add));
    TaskFailures.run(() -> spark
        .createDataFrame(rows, MnistDataset.SCHEMA)
        .write()
        .option(
            "parquet.enable.dictionary#pixels", "false") // distinct bytes per row: nothing to share
        .option("maxRecordsPerFile", perShard)
        .mode(SaveMode.ErrorIfExists)
        .parquet(path.toString()));
  }

  private SourceSummary summary(List<IdxRangeDigest> reported) {
    // A task attempt that Spark ran twice reports twice: one report per range.
    Map<String, IdxRangeDigest> byRange = new TreeMap<>();
    for (IdxRangeDigest digest : reported) {
      byRange.put(digest.split + "/" + digest.index, digest);
    }
    MessageDigest fingerprint = Sha256.newDigest();
    for (Split split : List.of(train, test)) {
      List<IdxRangeDigest> ranges = byRange.values().stream()
          .filter(d -> d.split.equals(split.name()))
          .sorted(Comparator.comparingInt(d -> d.firstBlock))
          .toList();
      fingerprint.update(fileDigest(split.images(), ranges, true));
      fingerprint.update(fileDigest(split.labels(), ranges, false));
    }
    return new SourceSummary(
        KIND,
        train.images().count,
        test.images().count,
        "sha256:" + HexFormat.of().formatHex(fingerprint.digest()),
        null);
  }

  /** SHA-256 of the header and of every block digest of the payload, in order. */
  private static byte[] fileDigest(IdxHeader header, List<IdxRangeDigest> ranges, boolean images) {
    MessageDigest digest = Sha256.newDigest();
    digest.update(header.bytes);
    int blocks = 0;
    for (IdxRangeDigest range : ranges) {
      if (range.firstBlock != blocks) {
        throw new IllegalStateException(
            "digest of block " + blocks + " of " + header.path + " is missing");
      }
      for (byte[] block : images ? range.imageBlocks : range.labelBlocks) {
        digest.update(block);
        blocks++;
      }
    }
    if (blocks != IdxRange.blocks(header.count)) {
      throw new IllegalStateException(header.path + ": " + blocks + " digest blocks reported, "
          + IdxRange.blocks(header.count) + " expected");
    }
    return digest.digest();
  }
}
