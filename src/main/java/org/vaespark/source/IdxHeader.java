package org.vaespark.source;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.vaespark.dataset.Images;
import org.vaespark.error.InputFileException;
import org.vaespark.io.Storage;

/**
 * The header of one IDX file, read and checked on the driver (the only part of the file the driver reads): magic
 * number, item count, image dimensions, and for an uncompressed file its exact length (truncation and trailing
 * bytes are found from the file's size). A gzipped file's length is checked by the task that streams it. Shipped
 * to the executors inside each {@link IdxRange}.
 */
final class IdxHeader implements Serializable {
  private static final long serialVersionUID = 1L;
  static final int IMAGES_MAGIC = 2051;
  static final int LABELS_MAGIC = 2049;

  final String path;
  final int magic;
  /** Items the header declares (the IDX format's signed 32-bit count). */
  final int count;
  /** Bytes of one item: rows x cols for images, 1 for labels. */
  final int recordBytes;
  /** The header as it is in the file (decoded, for a gzipped one): magic, count, dimensions. */
  final byte[] bytes;

  final boolean gzip;

  private IdxHeader(
      String path, int magic, int count, int recordBytes, byte[] bytes, boolean gzip) {
    this.path = path;
    this.magic = magic;
    this.count = count;
    this.recordBytes = recordBytes;
    this.bytes = bytes;
    this.gzip = gzip;
  }

  /** Bytes of the payload the header declares. */
  long payloadBytes() {
    return (long) count * recordBytes;
  }

  boolean images() {
    return magic == IMAGES_MAGIC;
  }

  /** What the payload holds, for messages: "pixel data of 3 images" or "3 labels". */
  String payloadName() {
    return images() ? "pixel data of " + count + " images" : count + " labels";
  }

  /** Reads and checks the header of an images file whose images must be {@code shape}. */
  static IdxHeader images(Storage storage, Path path, Images.Shape shape) {
    return read(storage, path, IMAGES_MAGIC, shape);
  }

  /** Reads and checks the header of a labels file. */
  static IdxHeader labels(Storage storage, Path path) {
    return read(storage, path, LABELS_MAGIC, null);
  }

  private static IdxHeader read(Storage storage, Path path, int expectedMagic, Images.Shape shape) {
    FileSystem fs = storage.fs(path);
    FileStatus status = storage.status(path);
    if (status == null) {
      throw new InputFileException(path + ": file not found");
    }
    if (status.getLen() == 0) {
      throw new InputFileException(path + ": file is empty, expected an IDX file");
    }
    try (InputStream raw = new BufferedInputStream(fs.open(path), 1 << 12)) {
      boolean gzip = isGzip(raw);
      DataInputStream in = new DataInputStream(gzip ? new GZIPInputStream(raw) : raw);
      ByteArrayOutputStream header = new ByteArrayOutputStream();
      DataOutputStream copy = new DataOutputStream(header);
      int magic = readInt(path, in, "magic number", copy);
      if (magic != expectedMagic) {
        throw new InputFileException(
            path + ": wrong magic number " + magic + ", expected " + expectedMagic + " ("
                + (expectedMagic == IMAGES_MAGIC ? "IDX3 images" : "IDX1 labels") + ")");
      }
      int count = readInt(path, in, "item count", copy);
      if (count < 0) {
        throw new InputFileException(path + ": negative item count " + count
            + ": the IDX format counts items in a signed 32-bit integer (at most "
            + Integer.MAX_VALUE + "), so the header is corrupt");
      }
      int recordBytes = 1;
      if (expectedMagic == IMAGES_MAGIC) {
        int rows = readInt(path, in, "row count", copy);
        int cols = readInt(path, in, "column count", copy);
        if (rows != shape.rows() || cols != shape.cols()) {
          throw new InputFileException(path + ": images are " + rows + "x" + cols + ", expected "
              + shape + " (vae.prepare.image-size; set it to " + rows + "x" + cols
              + " to prepare these images at their own size)");
        }
        recordBytes = shape.pixels();
      }
      IdxHeader result =
          new IdxHeader(path.toString(), magic, count, recordBytes, header.toByteArray(), gzip);
      if (!gzip) {
        result.checkLength(status.getLen());
      }
      return result;
    } catch (ZipException e) {
      throw new InputFileException(path + ": corrupt gzip stream (" + e.getMessage() + ")", e);
    } catch (EOFException e) {
      throw new InputFileException(
          path + ": truncated: the file ends before the data its header declares", e);
    } catch (IOException e) {
      throw new InputFileException(path + ": cannot be read (" + e.getMessage() + ")", e);
    }
  }

  /** An uncompressed file must hold exactly the header and the payload it declares. */
  private void checkLength(long fileLength) {
    long present = fileLength - bytes.length;
    if (present < payloadBytes()) {
      throw truncated(present);
    }
    if (present > payloadBytes()) {
      throw trailingBytes();
    }
  }

  /** The file ends after {@code present} payload bytes, before the payload the header declares. */
  InputFileException truncated(long present) {
    return new InputFileException(path + ": truncated data, the header declares " + payloadName()
        + " (" + payloadBytes() + " bytes) but only " + present + " bytes follow");
  }

  InputFileException trailingBytes() {
    return new InputFileException(
        path + ": unexpected bytes after the " + count + " items the header declares");
  }

  /** Whether a stream starts with gzip's magic bytes (it is left at its start). */
  static boolean isGzip(InputStream in) throws IOException {
    in.mark(2);
    int b1 = in.read();
    int b2 = in.read();
    in.reset();
    return b1 == 0x1f && b2 == 0x8b;
  }

  private static int readInt(Path path, DataInputStream in, String what, DataOutputStream copy)
      throws IOException {
    int value;
    try {
      value = in.readInt();
    } catch (EOFException e) {
      throw new InputFileException(
          path + ": truncated header, the file ends before its " + what, e);
    }
    copy.writeInt(value);
    return value;
  }
}
