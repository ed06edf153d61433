package org.vaespark.source;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

/**
 * A range of whole records of one split's image and label files: records {@code from} (inclusive) to {@code to}
 * (exclusive), read by one task. Ranges are made of whole digest blocks ({@link #blockSize} records each, the last
 * block of a file possibly shorter), so a boundary can only fall between records, and the per-block digests, hence
 * the fingerprint, do not depend on how many ranges there are. An uncompressed file is read at its range's offset
 * (one seek); a gzipped one is streamed from its start by one task ({@link #streamed}).
 */
final class IdxRange implements Serializable {
  private static final long serialVersionUID = 1L;
  /** At most this many digest blocks per file, whatever its size: what the driver collects stays bounded. */
  static final int MAX_BLOCKS = 4096;

  final String split;
  final int index;
  final IdxHeader images;
  final IdxHeader labels;
  final long firstId;
  final int blockSize;
  final int firstBlock;
  final int from;
  final int to;
  final boolean streamed;

  IdxRange(
      String split,
      int index,
      IdxHeader images,
      IdxHeader labels,
      long firstId,
      int blockSize,
      int firstBlock,
      int from,
      int to,
      boolean streamed) {
    this.split = split;
    this.index = index;
    this.images = images;
    this.labels = labels;
    this.firstId = firstId;
    this.blockSize = blockSize;
    this.firstBlock = firstBlock;
    this.from = from;
    this.to = to;
    this.streamed = streamed;
  }

  /** Records per digest block for a file of {@code count} records: at most {@link #MAX_BLOCKS} blocks. */
  static int blockSize(int count) {
    return Math.max(1, (int) ((count + (long) MAX_BLOCKS - 1) / MAX_BLOCKS));
  }

  /** Digest blocks of a file of {@code count} records. */
  static int blocks(int count) {
    int size = blockSize(count);
    return (int) ((count + (long) size - 1) / size);
  }

  /**
   * The ranges of a split: one per shard (at most one per block) for uncompressed files, each a run of whole
   * blocks; one for the whole split when either file is gzipped.
   */
  static List<IdxRange> plan(
      String split, IdxHeader images, IdxHeader labels, long firstId, int shards) {
    boolean streamed = images.gzip || labels.gzip;
    int[] bounds = boundaries(images.count, streamed ? 1 : shards);
    int size = blockSize(images.count);
    List<IdxRange> plan = new ArrayList<>(bounds.length - 1);
    for (int r = 0; r + 1 < bounds.length; r++) {
      plan.add(new IdxRange(
          split,
          r,
          images,
          labels,
          firstId,
          size,
          bounds[r] / size,
          bounds[r],
          bounds[r + 1],
          streamed));
    }
    return plan;
  }

  /**
   * The record indices where {@code min(ranges, blocks)} ranges of a file of {@code count} records start, and
   * {@code count} at the end: every one is a multiple of the block size or the end, so a range never starts or
   * ends inside a record, nor inside a digest block.
   */
  static int[] boundaries(int count, int ranges) {
    int size = blockSize(count);
    int blocks = blocks(count);
    int n = Math.max(1, Math.min(ranges, blocks));
    int[] bounds = new int[n + 1];
    for (int r = 0; r <= n; r++) {
      long block = (long) r * blocks / n;
      bounds[r] = (int) Math.min(block * size, count);
    }
    return bounds;
  }
}
