package org.vaespark.dataset;

import java.util.HashMap;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.vaespark.runtime.NativeArrays;

/**
 * Minibatches cut from a {@link PixelBlock} into arrays allocated once per batch size and reused, so a training
 * task allocates no off-heap memory per step. A batch is valid until the next batch of the same size is cut.
 */
public final class BatchBuffer {
  private final Map<Integer, INDArray> arrays = new HashMap<>();
  private float[] scratch = new float[0];

  /** Minibatch {@code index} of size {@code batchSize} of {@code block} in the given order, as [n, 784] floats. */
  public INDArray batch(PixelBlock block, int[] order, int index, int batchSize) {
    int rows = block.rowsOf(index, batchSize);
    if (scratch.length < rows * Images.PIXELS) {
      scratch = new float[batchSize * Images.PIXELS];
    }
    block.toUnitFloats(order, index, batchSize, scratch);
    INDArray array = arrays.computeIfAbsent(
        rows, r -> Nd4j.createUninitialized(DataType.FLOAT, r, Images.PIXELS));
    NativeArrays.bytes(array).asFloatBuffer().put(scratch, 0, rows * Images.PIXELS);
    return array;
  }
}
