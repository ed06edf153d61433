package org.vaespark.train;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.vaespark.dataset.PixelBlock;

/** A worker's share as a stream of chunks, cut into minibatches; skipping lands where iterating would. */
class WorkerBatchesTest {
  private static final int WIDTH = 4;

  /** Examples whose pixels all hold their index, so a batch shows which examples it holds. */
  private static Iterator<byte[]> examples(int n) {
    List<byte[]> rows = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      byte[] row = new byte[WIDTH];
      Arrays.fill(row, (byte) i);
      rows.add(row);
    }
    return rows.iterator();
  }

  private static List<PixelBlock> chunks(int examples, long chunkBytes) {
    List<PixelBlock> out = new ArrayList<>();
    PixelBlock.chunks(examples(examples), chunkBytes).forEachRemaining(out::add);
    return out;
  }

  @Test
  void examplesArePackedIntoChunksOfAtMostTheGivenBytesInOrder() {
    List<PixelBlock> chunks = chunks(10, 4 * WIDTH);

    assertThat(chunks).extracting(PixelBlock::rows).containsExactly(4, 4, 2);
    assertThat(chunks.get(2).batch(chunks.get(2).identity(), 0, 8).getFloat(1, 0))
        .isEqualTo(9 / 255f);
    assertThat(chunks(3, 1))
        .extracting(PixelBlock::rows)
        .as("at least one example a chunk")
        .containsExactly(1, 1, 1);
  }

  @Test
  void everyExampleComesOnceAnEpochAndTheOrderChangesWithTheEpoch() {
    List<Integer> epoch1 = examplesSeen(1, 0);
    List<Integer> epoch2 = examplesSeen(2, 0);

    assertThat(epoch1).hasSize(10).containsExactlyInAnyOrder(0, 1, 2, 3, 4, 5, 6, 7, 8, 9);
    assertThat(epoch2).containsExactlyInAnyOrderElementsOf(epoch1).isNotEqualTo(epoch1);
    assertThat(examplesSeen(1, 0)).as("the same order for the same epoch").isEqualTo(epoch1);
  }

  @Test
  void skippingLandsOnTheBatchThatIteratingReaches() {
    List<Integer> all = examplesSeen(3, 0);
    for (int skipped = 0; skipped <= 5; skipped++) {
      assertThat(examplesSeen(3, skipped))
          .as("after skipping %d batches", skipped)
          .isEqualTo(all.subList(Math.min(all.size(), firstExampleOfBatch(skipped)), all.size()));
    }
  }

  /** With chunks of 4, 4 and 2 examples and batches of 3: batches of 3, 1, 3, 1, 2 examples. */
  private static int firstExampleOfBatch(int batch) {
    int[] sizes = {3, 1, 3, 1, 2};
    int first = 0;
    for (int b = 0; b < Math.min(batch, sizes.length); b++) {
      first += sizes[b];
    }
    return first;
  }

  private static List<Integer> examplesSeen(int epoch, int skip) {
    WorkerBatches batches = new WorkerBatches(chunks(10, 4 * WIDTH).iterator(), 3, 42, epoch, 1);
    batches.skip(skip);
    List<Integer> seen = new ArrayList<>();
    while (batches.hasNext()) {
      INDArray batch = batches.next();
      for (int r = 0; r < batch.rows(); r++) {
        seen.add(Math.round(batch.getFloat(r, 0) * 255));
      }
    }
    return seen;
  }
}
