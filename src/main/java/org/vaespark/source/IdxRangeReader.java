package org.vaespark.source;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.function.Consumer;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.Path;
import org.apache.spark.TaskContext;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.util.TaskCompletionListener;
import org.vaespark.error.InputFileException;
import org.vaespark.io.Sha256;

/**
 * Reads one {@link IdxRange} on an executor, straight from the Hadoop file system, one record at a time (memory
 * does not grow with the range): the images and labels of records {@code from} to {@code to} as dataset rows,
 * checking every label (0..9), the data's length (a file that ends early is named as truncated, with the bytes it
 * holds) and, for a streamed gzipped file, that nothing follows the declared items. When the last row has been
 * taken it reports the range's block digests to {@code done}.
 */
final class IdxRangeReader implements Iterator<Row>, AutoCloseable {
  private final IdxRange range;
  private final Stream images;
  private final Stream labels;
  private final Consumer<IdxRangeDigest> done;
  private final MessageDigest imageDigest = Sha256.newDigest();
  private final MessageDigest labelDigest = Sha256.newDigest();
  private final List<byte[]> imageBlocks = new ArrayList<>();
  private final List<byte[]> labelBlocks = new ArrayList<>();
  private int next;
  private boolean finished;

  private IdxRangeReader(
      IdxRange range, Stream images, Stream labels, Consumer<IdxRangeDigest> done) {
    this.range = range;
    this.images = images;
    this.labels = labels;
    this.done = done;
    this.next = range.from;
  }

  /** Opens both files of {@code range} at its first record; they are closed at the end or when the task ends. */
  static IdxRangeReader open(IdxRange range, Configuration conf, Consumer<IdxRangeDigest> done) {
    Stream images = Stream.open(range.images, range.from, range.streamed, conf);
    Stream labels;
    try {
      labels = Stream.open(range.labels, range.from, range.streamed, conf);
    } catch (RuntimeException e) {
      images.close();
      throw e;
    }
    IdxRangeReader reader = new IdxRangeReader(range, images, labels, done);
    TaskContext task = TaskContext.get();
    if (task != null) {
      task.addTaskCompletionListener((TaskCompletionListener) context -> reader.close());
    }
    return reader;
  }

  @Override
  public boolean hasNext() {
    if (next < range.to) {
      return true;
    }
    if (!finished) {
      finish();
    }
    return false;
  }

  @Override
  public Row next() {
    if (!hasNext()) {
      throw new NoSuchElementException();
    }
    byte[] pixels = images.record(next);
    int label = labels.label(next);
    if (label > 9) {
      throw new InputFileException(
          range.labels.path + ": label " + label + " at index " + next + " is outside 0..9");
    }
    imageDigest.update(pixels);
    labelDigest.update((byte) label);
    int index = next++;
    if ((next - range.from) % range.blockSize == 0 || next == range.to) {
      imageBlocks.add(imageDigest.digest());
      labelBlocks.add(labelDigest.digest());
    }
    return RowFactory.create(range.firstId + index, label, range.split, pixels);
  }

  /** Reads the whole range, discarding the rows: its digests only. */
  void drain() {
    while (hasNext()) {
      next();
    }
  }

  private void finish() {
    finished = true;
    if (range.streamed) {
      images.requireEnd();
      labels.requireEnd();
    }
    close();
    done.accept(
        new IdxRangeDigest(range.split, range.index, range.firstBlock, imageBlocks, labelBlocks));
  }

  @Override
  public void close() {
    images.close();
    labels.close();
  }

  /** One file of the range, positioned at the range's first record. */
  private static final class Stream {
    private final IdxHeader header;
    private final InputStream in;

    private Stream(IdxHeader header, InputStream in) {
      this.header = header;
      this.in = in;
    }

    static Stream open(IdxHeader header, int from, boolean streamed, Configuration conf) {
      Path path = new Path(header.path);
      try {
        FSDataInputStream raw = path.getFileSystem(conf).open(path);
        InputStream in;
        if (header.gzip) {
          in = new BufferedInputStream(
              new GZIPInputStream(new BufferedInputStream(raw, 1 << 16), 1 << 16), 1 << 16);
          skip(in, header.bytes.length + (long) from * header.recordBytes);
        } else {
          raw.seek(header.bytes.length + (long) from * header.recordBytes);
          in = new BufferedInputStream(raw, 1 << 20);
        }
        return new Stream(header, in);
      } catch (IOException e) {
        throw failure(header, e);
      }
    }

    /** Record {@code index} (the next one in the stream). */
    byte[] record(int index) {
      byte[] record = new byte[header.recordBytes];
      int got;
      try {
        got = in.readNBytes(record, 0, record.length);
      } catch (IOException e) {
        throw failure(header, e);
      }
      if (got < record.length) {
        throw header.truncated((long) index * header.recordBytes + got);
      }
      return record;
    }

    /** Label {@code index} (the next byte in the stream), 0..255. */
    int label(int index) {
      int value;
      try {
        value = in.read();
      } catch (IOException e) {
        throw failure(header, e);
      }
      if (value < 0) {
        throw header.truncated(index);
      }
      return value;
    }

    /** Fails if anything follows the items the header declares. */
    void requireEnd() {
      try {
        if (in.read() != -1) {
          throw header.trailingBytes();
        }
      } catch (IOException e) {
        throw failure(header, e);
      }
    }

    void close() {
      try {
        in.close();
      } catch (IOException e) {
        // Closing after the data was read, or after a failure that matters more.
      }
    }

    private static void skip(InputStream in, long bytes) throws IOException {
      long left = bytes;
      while (left > 0) {
        long skipped = in.skip(left);
        if (skipped <= 0) {
          if (in.read() < 0) {
            throw new EOFException();
          }
          skipped = 1;
        }
        left -= skipped;
      }
    }

    private static InputFileException failure(IdxHeader header, IOException e) {
      if (e instanceof ZipException) {
        return new InputFileException(
            header.path + ": corrupt gzip stream (" + e.getMessage() + ")", e);
      }
      if (e instanceof EOFException) {
        return new InputFileException(
            header.path + ": truncated: the file ends before the data its header declares", e);
      }
      return new InputFileException(header.path + ": cannot be read (" + e.getMessage() + ")", e);
    }
  }
}
