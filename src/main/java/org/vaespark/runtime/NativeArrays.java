package org.vaespark.runtime;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import org.bytedeco.javacpp.BytePointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The memory of a contiguous float array as a {@link ByteBuffer}, so parameters travel between a socket and ND4J
 * without a copy through the Java heap (ND4J's own {@code toFloatVector} and {@code Nd4j.create(float[])} copy
 * element by element). The buffer does not own the memory: the array must stay reachable while it is used.
 */
public final class NativeArrays {
  private NativeArrays() {}

  /** A buffer over the array's values, in native byte order, position 0, limit = 4 x length. */
  public static ByteBuffer bytes(INDArray array) {
    if (array.dataType() != DataType.FLOAT) {
      throw new IllegalArgumentException("expected a float array, got " + array.dataType());
    }
    boolean contiguous =
        array.elementWiseStride() == 1 && (array.ordering() == 'c' || array.isVectorOrScalar());
    if (array.length() > 1 && !contiguous) {
      throw new IllegalArgumentException(
          "expected a contiguous array, got " + array.shapeInfoToString());
    }
    // A view's data buffer carries the view's offset: its address pointer is the view's first
    // value.
    long address = array.data().addressPointer().address();
    return new Raw(address, array.length() * Float.BYTES)
        .asByteBuffer()
        .order(ByteOrder.nativeOrder());
  }

  /**
   * A new float array of the given shape holding the first {@code length} values of {@code values}, copied in
   * one block ({@code Nd4j.create(float[], ...)} copies value by value).
   */
  public static INDArray floats(float[] values, int length, long... shape) {
    INDArray array = Nd4j.createUninitialized(DataType.FLOAT, shape);
    if (array.length() != length) {
      throw new IllegalArgumentException(
          length + " values do not fill shape " + Arrays.toString(shape));
    }
    bytes(array).asFloatBuffer().put(values, 0, length);
    return array;
  }

  /** A pointer to memory owned elsewhere; never deallocates. */
  private static final class Raw extends BytePointer {
    Raw(long address, long bytes) {
      this.address = address;
      this.limit = bytes;
      this.capacity = bytes;
    }
  }
}
