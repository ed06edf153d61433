package org.vaespark.prepare;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.vaespark.dataset.Images;
import org.vaespark.error.InputFileException;
import org.vaespark.io.Sha256;
import org.vaespark.io.Storage;

/**
 * Reads MNIST IDX files (gzipped or not) from any Hadoop file system and checks them: magic number, item
 * count, 28 x 28 shape, label range and exact data length. Every failure names the file and the problem.
 *
 * <p>A header that claims more items than the file holds is detected without allocating the claimed size:
 * the payload is read into a buffer that grows only with the bytes actually present.
 */
public final class IdxReader {
  public static final int IMAGES_MAGIC = 2051;
  public static final int LABELS_MAGIC = 2049;
  /** Largest payload one IDX file may have here (a Java array's limit, minus headroom). */
  static final long MAX_PAYLOAD_BYTES = Integer.MAX_VALUE - 64L;

  private final Storage storage;

  public IdxReader(Storage storage) {
    this.storage = storage;
  }

  /** Images of one IDX3 file: {@code count} rows of 784 unsigned bytes, row-major. */
  public record ImageFile(String file, int count, byte[] pixels, byte[] sha256) {}

  /** Labels of one IDX1 file, each in 0..9. */
  public record LabelFile(String file, int count, byte[] labels, byte[] sha256) {}

  public ImageFile readImages(Path path) {
    return read(
        path,
        IMAGES_MAGIC,
        (in, count) -> {
          int rows = readHeaderInt(path, in, "row count");
          int cols = readHeaderInt(path, in, "column count");
          if (rows != Images.ROWS || cols != Images.COLS) {
            throw new InputFileException(path + ": images are " + rows + "x" + cols + ", expected "
                + Images.ROWS + "x" + Images.COLS + " (MNIST)");
          }
          return readPayload(
              path, in, (long) count * Images.PIXELS, "pixel data of " + count + " images");
        },
        (count, payload, sha) -> new ImageFile(path.toString(), count, payload, sha));
  }

  public LabelFile readLabels(Path path) {
    return read(
        path,
        LABELS_MAGIC,
        (in, count) -> {
          byte[] labels = readPayload(path, in, count, count + " labels");
          for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0 || labels[i] > 9) {
              throw new InputFileException(path + ": label " + Byte.toUnsignedInt(labels[i])
                  + " at index " + i + " is outside 0..9");
            }
          }
          return labels;
        },
        (count, payload, sha) -> new LabelFile(path.toString(), count, payload, sha));
  }

  /** Checks that an image file and a label file describe the same examples. */
  public static void checkSameCount(ImageFile images, LabelFile labels) {
    if (images.count() != labels.count()) {
      throw new InputFileException(
          images.file() + " holds " + images.count() + " images but " + labels.file() + " holds "
              + labels.count() + " labels: the two files must come from the same split");
    }
  }

  private interface PayloadReader {
    byte[] read(DataInputStream in, int count) throws IOException;
  }

  private interface ResultFactory<T> {
    T create(int count, byte[] payload, byte[] sha256);
  }

  private <T> T read(
      Path path, int expectedMagic, PayloadReader payloadReader, ResultFactory<T> factory) {
    FileSystem fs = storage.fs(path);
    try {
      if (!fs.exists(path)) {
        throw new InputFileException(path + ": file not found");
      }
      if (fs.getFileStatus(path).getLen() == 0) {
        throw new InputFileException(path + ": file is empty, expected an IDX file");
      }
      MessageDigest digest = Sha256.newDigest();
      try (DataInputStream in =
          new DataInputStream(new DigestInputStream(open(fs, path), digest))) {
        int magic = readHeaderInt(path, in, "magic number");
        if (magic != expectedMagic) {
          throw new InputFileException(
              path + ": wrong magic number " + magic + ", expected " + expectedMagic + " ("
                  + (expectedMagic == IMAGES_MAGIC ? "IDX3 images" : "IDX1 labels") + ")");
        }
        int count = readHeaderInt(path, in, "item count");
        if (count < 0) {
          throw new InputFileException(path + ": negative item count " + count);
        }
        byte[] payload = payloadReader.read(in, count);
        if (in.read() != -1) {
          throw new InputFileException(
              path + ": unexpected bytes after the " + count + " items the header declares");
        }
        return factory.create(count, payload, digest.digest());
      }
    } catch (ZipException e) {
      throw new InputFileException(path + ": corrupt gzip stream (" + e.getMessage() + ")", e);
    } catch (EOFException e) {
      throw new InputFileException(
          path + ": truncated: the file ends before the data its header declares", e);
    } catch (IOException e) {
      throw new InputFileException(path + ": cannot be read (" + e.getMessage() + ")", e);
    }
  }

  private static int readHeaderInt(Path path, DataInputStream in, String what) throws IOException {
    try {
      return in.readInt();
    } catch (EOFException e) {
      throw new InputFileException(
          path + ": truncated header, the file ends before its " + what, e);
    }
  }

  private static byte[] readPayload(Path path, InputStream in, long expected, String what)
      throws IOException {
    if (expected > MAX_PAYLOAD_BYTES) {
      throw new InputFileException(path + ": header claims " + what + " (" + expected
          + " bytes), more than one IDX file can hold (" + MAX_PAYLOAD_BYTES
          + " bytes): the header is corrupt");
    }
    int size = (int) expected;
    // Grow with the data actually present instead of trusting the header's size.
    ByteArrayOutputStream out = new ByteArrayOutputStream(Math.min(size, 1 << 20));
    byte[] chunk = new byte[1 << 16];
    int remaining = size;
    while (remaining > 0) {
      int n = in.read(chunk, 0, Math.min(chunk.length, remaining));
      if (n < 0) {
        throw new InputFileException(path + ": truncated data, the header declares " + what + " ("
            + size + " bytes) but only " + (size - remaining) + " bytes follow");
      }
      out.write(chunk, 0, n);
      remaining -= n;
    }
    return out.toByteArray();
  }

  private static InputStream open(FileSystem fs, Path path) throws IOException {
    BufferedInputStream in = new BufferedInputStream(fs.open(path), 1 << 16);
    in.mark(2);
    int b1 = in.read();
    int b2 = in.read();
    in.reset();
    boolean gzip = b1 == 0x1f && b2 == 0x8b;
    return gzip ? new GZIPInputStream(in, 1 << 16) : in;
  }
}
