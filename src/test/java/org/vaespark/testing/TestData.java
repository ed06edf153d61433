package org.vaespark.testing;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.vaespark.dataset.Images;
import org.vaespark.dataset.Minibatches;

/** Real MNIST digits from the bundled sample, and IDX files written for tests (well-formed or not). */
public final class TestData {
  public static final Path SAMPLE = Path.of("data-prep/sample");
  /** IDX magic numbers: images (IDX3) and labels (IDX1). */
  public static final int IMAGES_MAGIC = 2051;

  public static final int LABELS_MAGIC = 2049;
  private static byte[] samplePixels;
  private static byte[] sampleLabels;

  private TestData() {}

  /** The first {@code n} digits of the bundled sample's train file. */
  public static synchronized byte[] pixels(int n) {
    load();
    return Arrays.copyOf(samplePixels, n * Images.PIXELS);
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
    return Arrays.copyOf(sampleLabels, n);
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
    write(file, idx(new int[] {IMAGES_MAGIC, count, 28, 28}, pixels), gzip);
  }

  public static void writeLabels(Path file, byte[] labels, boolean gzip) {
    write(file, idx(new int[] {LABELS_MAGIC, labels.length}, labels), gzip);
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
    if (samplePixels == null) {
      samplePixels = payload(SAMPLE.resolve("train-images-idx3-ubyte.gz"), 16);
      sampleLabels = payload(SAMPLE.resolve("train-labels-idx1-ubyte.gz"), 8);
    }
  }

  /** The bytes after the header of a gzipped IDX file of the bundled sample. */
  private static byte[] payload(Path file, int headerBytes) {
    try (InputStream in = new GZIPInputStream(Files.newInputStream(file))) {
      in.readNBytes(headerBytes);
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
