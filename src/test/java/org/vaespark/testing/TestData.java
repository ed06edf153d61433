package org.vaespark.testing;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.apache.hadoop.conf.Configuration;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.vaespark.dataset.Images;
import org.vaespark.dataset.Minibatches;
import org.vaespark.io.Storage;
import org.vaespark.prepare.IdxReader;

/** Real MNIST digits from the bundled sample, and IDX files written for tests (well-formed or not). */
public final class TestData {
  public static final Path SAMPLE = Path.of("data-prep/sample");
  private static IdxReader.ImageFile sampleImages;
  private static IdxReader.LabelFile sampleLabels;

  private TestData() {}

  /** The first {@code n} digits of the bundled sample's train file. */
  public static synchronized byte[] pixels(int n) {
    load();
    return Arrays.copyOf(sampleImages.pixels(), n * Images.PIXELS);
  }

  /** The first {@code n} sample digits as an [n, 784] float matrix in [0, 1], as training sees them. */
  public static INDArray features(int n) {
    return features(0, n);
  }

  /** Sample digits {@code from} .. {@code from + n - 1} as an [n, 784] float matrix. */
  public static INDArray features(int from, int n) {
    byte[] pixels = pixels(from + n);
    List<byte[]> rows = new ArrayList<>(n);
    for (int i = from; i < from + n; i++) {
      rows.add(Arrays.copyOfRange(pixels, i * Images.PIXELS, (i + 1) * Images.PIXELS));
    }
    return Minibatches.features(rows);
  }

  public static synchronized byte[] labels(int n) {
    load();
    return Arrays.copyOf(sampleLabels.labels(), n);
  }

  /** Writes the four canonical files with {@code train} and {@code test} real digits (test after train). */
  public static Path writeSample(Path dir, int train, int test, boolean gzip) {
    byte[] pixels = pixels(train + test);
    byte[] labels = labels(train + test);
    String suffix = gzip ? ".gz" : "";
    writeImages(
        dir.resolve("train-images-idx3-ubyte" + suffix),
        Arrays.copyOfRange(pixels, 0, train * Images.PIXELS),
        train,
        gzip);
    writeLabels(
        dir.resolve("train-labels-idx1-ubyte" + suffix),
        Arrays.copyOfRange(labels, 0, train),
        gzip);
    writeImages(
        dir.resolve("t10k-images-idx3-ubyte" + suffix),
        Arrays.copyOfRange(pixels, train * Images.PIXELS, (train + test) * Images.PIXELS),
        test,
        gzip);
    writeLabels(
        dir.resolve("t10k-labels-idx1-ubyte" + suffix),
        Arrays.copyOfRange(labels, train, train + test),
        gzip);
    return dir;
  }

  public static void writeImages(Path file, byte[] pixels, int count, boolean gzip) {
    write(file, idx(new int[] {IdxReader.IMAGES_MAGIC, count, 28, 28}, pixels), gzip);
  }

  public static void writeLabels(Path file, byte[] labels, boolean gzip) {
    write(file, idx(new int[] {IdxReader.LABELS_MAGIC, labels.length}, labels), gzip);
  }

  /** Big-endian header ints followed by the payload, as the IDX format lays them out. */
  public static byte[] idx(int[] header, byte[] payload) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      for (int value : header) {
        out.writeInt(value);
      }
      out.write(payload);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  public static void write(Path file, byte[] content, boolean gzip) {
    try {
      Files.createDirectories(file.getParent());
      try (OutputStream out =
          gzip ? new GZIPOutputStream(Files.newOutputStream(file)) : Files.newOutputStream(file)) {
        out.write(content);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void load() {
    if (sampleImages == null) {
      IdxReader reader = new IdxReader(new Storage(new Configuration()));
      sampleImages = reader.readImages(new org.apache.hadoop.fs.Path(
          SAMPLE.resolve("train-images-idx3-ubyte.gz").toAbsolutePath().toString()));
      sampleLabels = reader.readLabels(new org.apache.hadoop.fs.Path(
          SAMPLE.resolve("train-labels-idx1-ubyte.gz").toAbsolutePath().toString()));
    }
  }
}
