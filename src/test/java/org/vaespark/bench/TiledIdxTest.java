package org.vaespark.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.DataInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vaespark.testing.TestData;

/** The scale benchmark's data: a real set tiled to N images, every copy of an image different. */
class TiledIdxTest {
  @TempDir
  Path dir;

  @Test
  void tilesTheSourceWithADifferentShiftPerCopy() throws IOException {
    // The sample has 8,000 train digits: 20,000 train images are 2.5 copies of them.
    int n = 23_334;
    TiledIdx.write(TestData.SAMPLE, n, dir);
    byte[] images = Files.readAllBytes(dir.resolve("train-images-idx3-ubyte"));
    byte[] labels = Files.readAllBytes(dir.resolve("train-labels-idx1-ubyte"));
    try (DataInputStream header =
        new DataInputStream(Files.newInputStream(dir.resolve("t10k-images-idx3-ubyte")))) {
      assertThat(header.readInt()).isEqualTo(2051);
      assertThat(header.readInt()).isEqualTo(n - 20_000);
    }
    assertThat(images).hasSize(16 + 20_000 * 784);
    assertThat(labels).hasSize(8 + 20_000);
    byte[] sample = TestData.pixels(8000);
    byte[] sampleLabels = TestData.labels(8000);
    // Copy 0 is the source itself; copies 1 and 2 of the same digit differ from it and from each
    // other.
    assertThat(record(images, 5)).isEqualTo(Arrays.copyOfRange(sample, 5 * 784, 6 * 784));
    Set<String> copies = new HashSet<>();
    for (int copy = 0; copy < 3; copy++) {
      copies.add(Arrays.toString(record(images, copy * 8000 + 5)));
      assertThat(labels[8 + copy * 8000 + 5]).isEqualTo(sampleLabels[5]);
    }
    assertThat(copies).hasSize(3);
  }

  private static byte[] record(byte[] images, int index) {
    return Arrays.copyOfRange(images, 16 + index * 784, 16 + (index + 1) * 784);
  }
}
