package org.vaespark.bench;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

/**
 * Makes an N-image MNIST-format set by tiling a real one (the scale benchmark's data, and the memory test's): the
 * four canonical IDX files, uncompressed, with {@code N * 6 / 7} train images (from the source's train split) and
 * the rest test images (from its test split), 28 x 28. Copy c of a source image is shifted by (dx, dy) in
 * [-3, 3] (zeros fill the edge) and its intensities scaled by 1 - 0.1 k, k in 0..4, so that the first 245 copies
 * of an image all differ; copy 0 is the image itself. The output is written record by record: memory holds the
 * source, never the N images.
 *
 * <p>Usage: {@code TiledIdx SOURCE_DIR N OUT_DIR} (SOURCE_DIR holds the four files, plain or gzipped).
 */
public final class TiledIdx {
  static final int SIDE = 28;
  static final int PIXELS = SIDE * SIDE;

  private TiledIdx() {}

  public static void main(String[] args) throws IOException {
    if (args.length != 3) {
      System.err.println("usage: TiledIdx SOURCE_DIR N OUT_DIR");
      System.exit(2);
    }
    long n = Long.parseLong(args[1]);
    if (n < 2 || n > Integer.MAX_VALUE) {
      System.err.println("error: N must be in [2, " + Integer.MAX_VALUE + "], got " + n);
      System.exit(2);
    }
    write(Path.of(args[0]), (int) n, Path.of(args[2]));
  }

  /** Writes the tiled set of {@code n} images from the set in {@code source} into {@code out}. */
  public static void write(Path source, int n, Path out) throws IOException {
    int train = (int) (n * 6L / 7);
    Files.createDirectories(out);
    split(source, "train", train, out);
    split(source, "t10k", n - train, out);
  }

  private static void split(Path source, String prefix, int count, Path out) throws IOException {
    byte[] pixels = payload(source, prefix + "-images-idx3-ubyte", 16);
    byte[] labels = payload(source, prefix + "-labels-idx1-ubyte", 8);
    int images = labels.length;
    if (pixels.length != images * PIXELS) {
      throw new IOException(
          source + ": " + prefix + " images and labels disagree, or are not 28x28");
    }
    try (DataOutputStream imagesOut = open(out.resolve(prefix + "-images-idx3-ubyte"));
        DataOutputStream labelsOut = open(out.resolve(prefix + "-labels-idx1-ubyte"))) {
      imagesOut.writeInt(2051);
      imagesOut.writeInt(count);
      imagesOut.writeInt(SIDE);
      imagesOut.writeInt(SIDE);
      labelsOut.writeInt(2049);
      labelsOut.writeInt(count);
      byte[] record = new byte[PIXELS];
      for (int j = 0; j < count; j++) {
        int image = j % images;
        variant(pixels, image * PIXELS, j / images, record);
        imagesOut.write(record);
        labelsOut.write(labels[image]);
      }
    }
  }

  /** Copy {@code copy} of the image at {@code from}: shifted and scaled (copy 0 is the image). */
  static void variant(byte[] pixels, int from, int copy, byte[] out) {
    int dx = (copy % 7 + 3) % 7 - 3;
    int dy = ((copy / 7) % 7 + 3) % 7 - 3;
    double scale = 1 - 0.1 * ((copy / 49) % 5);
    for (int y = 0; y < SIDE; y++) {
      for (int x = 0; x < SIDE; x++) {
        int sx = x - dx;
        int sy = y - dy;
        int v =
            sx < 0 || sy < 0 || sx >= SIDE || sy >= SIDE ? 0 : pixels[from + sy * SIDE + sx] & 0xFF;
        out[y * SIDE + x] = (byte) Math.round(v * scale);
      }
    }
  }

  private static DataOutputStream open(Path file) throws IOException {
    return new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(file), 1 << 20));
  }

  /** The payload of one of the source's files ({@code name} or {@code name.gz}), after its header. */
  private static byte[] payload(Path source, String name, int headerBytes) throws IOException {
    Path plain = source.resolve(name);
    Path file = Files.exists(plain) ? plain : source.resolve(name + ".gz");
    try (InputStream raw = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
      raw.mark(2);
      boolean gzip = raw.read() == 0x1f && raw.read() == 0x8b;
      raw.reset();
      DataInputStream in = new DataInputStream(gzip ? new GZIPInputStream(raw, 1 << 16) : raw);
      in.readNBytes(headerBytes);
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(file + ": cannot be read", e);
    }
  }
}
