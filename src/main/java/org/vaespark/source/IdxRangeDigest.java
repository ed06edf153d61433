package org.vaespark.source;

import java.io.Serializable;
import java.util.List;

/**
 * What a task reports for the range it read: the SHA-256 of every digest block of the images payload and of the
 * labels payload in it, in order, starting at block {@code firstBlock}.
 */
final class IdxRangeDigest implements Serializable {
  private static final long serialVersionUID = 1L;
  final String split;
  final int index;
  final int firstBlock;
  final List<byte[]> imageBlocks;
  final List<byte[]> labelBlocks;

  IdxRangeDigest(
      String split, int index, int firstBlock, List<byte[]> imageBlocks, List<byte[]> labelBlocks) {
    this.split = split;
    this.index = index;
    this.firstBlock = firstBlock;
    this.imageBlocks = imageBlocks;
    this.labelBlocks = labelBlocks;
  }
}
