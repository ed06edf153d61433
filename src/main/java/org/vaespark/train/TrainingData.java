package org.vaespark.train;

import java.math.BigInteger;
import java.util.HexFormat;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.vaespark.dataset.Images;
import org.vaespark.dataset.MnistDataset;
import org.vaespark.error.SettingsException;
import org.vaespark.io.Sha256;

/**
 * What training takes, whoever trains (the {@code train} job, {@code VaeEstimator.fit}): the train rows
 * ({@code id}: long, {@code pixels}: binary, 8-bit grayscale of {@link #shape()}), the held-out rows whose
 * negative ELBO is measured after every epoch (or none), the image size, and where the data came from with its
 * fingerprint (checkpoints are resumed only on data of the same fingerprint).
 */
public final class TrainingData {
  private final Dataset<Row> train;
  private final Dataset<Row> heldOut;
  private final Images.Shape shape;
  private final long trainExamples;
  private final long heldOutExamples;
  private final String location;
  private final String source;
  private final String fingerprint;

  private TrainingData(
      Dataset<Row> train,
      Dataset<Row> heldOut,
      Images.Shape shape,
      long trainExamples,
      long heldOutExamples,
      String location,
      String source,
      String fingerprint) {
    this.train = train;
    this.heldOut = heldOut;
    this.shape = shape;
    this.trainExamples = trainExamples;
    this.heldOutExamples = heldOutExamples;
    this.location = location;
    this.source = source;
    this.fingerprint = fingerprint;
  }

  /** A published dataset: its train split, its test split held out; each split read and checked once. */
  public static TrainingData of(SparkSession spark, MnistDataset dataset) {
    MnistDataset.Manifest manifest = dataset.manifest();
    return new TrainingData(
        dataset.read(spark, MnistDataset.TRAIN),
        dataset.read(spark, MnistDataset.TEST),
        manifest.shape(),
        manifest.trainExamples(),
        manifest.testExamples(),
        dataset.root(),
        manifest.source(),
        manifest.fingerprint());
  }

  /**
   * Rows of a DataFrame: {@code train} and {@code heldOut} (null: none) with columns {@code id} (long) and
   * {@code pixels} (binary, {@code shape}'s size); their fingerprint is the SHA-256 of the image size and, per
   * part, the count and the sum modulo 2^256 of the pixels' SHA-256 (independent of order and partitioning).
   */
  public static TrainingData of(
      Dataset<Row> train, Dataset<Row> heldOut, Images.Shape shape, String location) {
    long[] trainCount = new long[1];
    long[] heldOutCount = new long[1];
    byte[] trainSum = digestSum(train, trainCount);
    byte[] heldOutSum = heldOut == null ? new byte[32] : digestSum(heldOut, heldOutCount);
    if (trainCount[0] == 0) {
      throw new SettingsException(location + ": no rows to train on: give a DataFrame with images");
    }
    java.security.MessageDigest sha = Sha256.newDigest();
    sha.update(shape.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
    for (byte[] part : List.of(
        java.nio.ByteBuffer.allocate(16)
            .putLong(trainCount[0])
            .putLong(heldOutCount[0])
            .array(),
        trainSum,
        heldOutSum)) {
      sha.update(part);
    }
    return new TrainingData(
        train,
        heldOut,
        shape,
        trainCount[0],
        heldOutCount[0],
        location,
        location,
        "sha256:" + HexFormat.of().formatHex(sha.digest()));
  }

  /** The rows of a split, as {@link MnistDataset#read} gives them: {@code train} the train rows, else the held-out. */
  public Dataset<Row> read(SparkSession spark, String split) {
    return MnistDataset.TRAIN.equals(split) ? train : heldOut;
  }

  public Dataset<Row> train() {
    return train;
  }

  /** The held-out rows, or null. */
  public Dataset<Row> heldOut() {
    return heldOut;
  }

  public boolean hasHeldOut() {
    return heldOut != null;
  }

  public Images.Shape shape() {
    return shape;
  }

  public long trainExamples() {
    return trainExamples;
  }

  public long heldOutExamples() {
    return heldOutExamples;
  }

  /** Where the data is (the dataset's folder, or a description of the DataFrame). */
  public String location() {
    return location;
  }

  /** What the data was made from (the dataset's input). */
  public String source() {
    return source;
  }

  public String fingerprint() {
    return fingerprint;
  }

  /** The sum modulo 2^256 of the pixels' SHA-256 over the rows, computed on the executors; counts into {@code count}. */
  private static byte[] digestSum(Dataset<Row> rows, long[] count) {
    BigInteger modulus = BigInteger.ONE.shiftLeft(256);
    List<Object[]> parts = rows.select("pixels")
        .javaRDD()
        .mapPartitions(it -> {
          java.security.MessageDigest sha = Sha256.newDigest();
          BigInteger sum = BigInteger.ZERO;
          long n = 0;
          while (it.hasNext()) {
            sum = sum.add(new BigInteger(1, sha.digest((byte[]) it.next().get(0))));
            n++;
          }
          return List.<Object[]>of(new Object[] {sum.mod(modulus).toByteArray(), n})
              .iterator();
        })
        .collect();
    BigInteger total = BigInteger.ZERO;
    for (Object[] part : parts) {
      total = total.add(new BigInteger(1, (byte[]) part[0]));
      count[0] += (Long) part[1];
    }
    byte[] bytes = total.mod(modulus).toByteArray();
    byte[] out = new byte[32];
    int n = Math.min(bytes.length, 32);
    System.arraycopy(bytes, bytes.length - n, out, 32 - n, n);
    return out;
  }
}
