package org.vaespark.train;

import java.util.Iterator;
import java.util.NoSuchElementException;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.vaespark.dataset.BatchBuffer;
import org.vaespark.dataset.PixelBlock;

/**
 * One worker's minibatches of one epoch, in order, cut from its share of the train split as the share streams out
 * of Spark's cache in chunks ({@link AveragingTrainer#blocks}; in memory, or spilled to disk when it does not fit):
 * every chunk in turn, each chunk's rows in a new order every epoch, seeded by the epoch, the partition and the
 * chunk. A minibatch never spans two chunks. Only the chunk being cut is held.
 */
final class WorkerBatches {
  private final Iterator<PixelBlock> chunks;
  private final int batchSize;
  private final long seed;
  private final int epoch;
  private final int partition;
  private final BatchBuffer buffer = new BatchBuffer();
  private PixelBlock chunk;
  private int[] order;
  private int chunkIndex = -1;
  private int nextBatch;

  WorkerBatches(Iterator<PixelBlock> chunks, int batchSize, long seed, int epoch, int partition) {
    this.chunks = chunks;
    this.batchSize = batchSize;
    this.seed = seed;
    this.epoch = epoch;
    this.partition = partition;
  }

  boolean hasNext() {
    while (chunk == null || nextBatch >= chunk.batches(batchSize)) {
      if (!chunks.hasNext()) {
        return false;
      }
      chunk = chunks.next();
      chunkIndex++;
      order = null;
      nextBatch = 0;
    }
    return true;
  }

  /** The next minibatch, valid until the next call (its array is reused). */
  INDArray next() {
    if (!hasNext()) {
      throw new NoSuchElementException(
          "worker " + partition + " has no more minibatches in epoch " + epoch);
    }
    if (order == null) {
      order = chunk.order(Seeds.derive(seed, epoch, partition, chunkIndex));
    }
    return buffer.batch(chunk, order, nextBatch++, batchSize);
  }

  /** Passes over {@code batches} minibatches without cutting them (a retried epoch resuming at a later round). */
  void skip(long batches) {
    for (long left = batches; left > 0 && hasNext(); ) {
      int here = (int) Math.min(left, chunk.batches(batchSize) - nextBatch);
      nextBatch += here;
      left -= here;
    }
  }
}
