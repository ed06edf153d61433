package org.vaespark.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.FloatBuffer;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/** The byte view of an array reads and writes the array's own values, views with an offset included. */
class NativeArraysTest {
  private static float[] read(INDArray array) {
    FloatBuffer floats = NativeArrays.bytes(array).asFloatBuffer();
    float[] out = new float[floats.remaining()];
    floats.get(out);
    return out;
  }

  @Test
  void readsAWholeArray() {
    INDArray array = Nd4j.linspace(DataType.FLOAT, 1, 12, 1).reshape(1, 12);

    assertThat(read(array)).containsExactly(array.toFloatVector());
  }

  @Test
  void readsAndWritesARowViewAtItsOffset() {
    INDArray matrix = Nd4j.linspace(DataType.FLOAT, 1, 12, 1).reshape('c', 3, 4);
    INDArray row = matrix.getRow(2, true);

    assertThat(read(row)).containsExactly(9, 10, 11, 12);

    NativeArrays.bytes(row).asFloatBuffer().put(new float[] {-1, -2, -3, -4});
    assertThat(matrix.getRow(2).toFloatVector()).containsExactly(-1, -2, -3, -4);
    assertThat(matrix.getRow(1).toFloatVector()).containsExactly(5, 6, 7, 8);
  }

  @Test
  void readsAContiguousIntervalView() {
    INDArray vector = Nd4j.linspace(DataType.FLOAT, 1, 10, 1).reshape(1, 10);
    INDArray tail = vector.get(NDArrayIndex.point(0), NDArrayIndex.interval(4, 10));

    assertThat(read(tail)).containsExactly(5, 6, 7, 8, 9, 10);
  }

  @Test
  void copiesTheFirstValuesOfAJavaArrayIntoANewArray() {
    INDArray array = NativeArrays.floats(new float[] {1, 2, 3, 4, 5, 6, 7}, 6, 2, 3);

    assertThat(array.shape()).containsExactly(2, 3);
    assertThat(array.getRow(1).toFloatVector()).containsExactly(4, 5, 6);
    assertThatThrownBy(() -> NativeArrays.floats(new float[6], 5, 2, 3))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void refusesANonContiguousViewAndOtherTypes() {
    INDArray matrix = Nd4j.create(DataType.FLOAT, 3, 4);

    assertThatThrownBy(() -> NativeArrays.bytes(matrix.getColumn(1)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> NativeArrays.bytes(Nd4j.create(DataType.DOUBLE, 2, 2)))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
