package org.vaespark.prepare;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vaespark.error.InputFileException;
import org.vaespark.io.Storage;
import org.vaespark.testing.TestData;

class IdxReaderTest {
  @TempDir
  Path dir;

  private final IdxReader reader = new IdxReader(new Storage(new Configuration()));

  private org.apache.hadoop.fs.Path hadoop(Path file) {
    return new org.apache.hadoop.fs.Path(file.toAbsolutePath().toString());
  }

  @Test
  void readsTheBundledSample() {
    IdxReader.ImageFile images =
        reader.readImages(hadoop(TestData.SAMPLE.resolve("train-images-idx3-ubyte.gz")));
    IdxReader.LabelFile labels =
        reader.readLabels(hadoop(TestData.SAMPLE.resolve("train-labels-idx1-ubyte.gz")));
    assertThat(images.count()).isEqualTo(8000);
    assertThat(images.pixels()).hasSize(8000 * 784);
    assertThat(labels.count()).isEqualTo(8000);
    IdxReader.checkSameCount(images, labels);
    // Real digits: every class is present and pixels use the full 0..255 range.
    assertThat(new String(labels.labels(), StandardCharsets.ISO_8859_1)
            .chars()
            .distinct()
            .count())
        .isEqualTo(10);
    int max = 0;
    for (byte b : images.pixels()) {
      max = Math.max(max, b & 0xFF);
    }
    assertThat(max).isEqualTo(255);
  }

  @Test
  void plainAndGzippedFilesGiveTheSameContentAndFingerprint() {
    byte[] pixels = TestData.pixels(5);
    TestData.writeImages(dir.resolve("a"), pixels, 5, false);
    TestData.writeImages(dir.resolve("b.gz"), pixels, 5, true);
    IdxReader.ImageFile plain = reader.readImages(hadoop(dir.resolve("a")));
    IdxReader.ImageFile gzipped = reader.readImages(hadoop(dir.resolve("b.gz")));
    assertThat(plain.pixels()).isEqualTo(pixels).isEqualTo(gzipped.pixels());
    assertThat(plain.sha256()).isEqualTo(gzipped.sha256());
  }

  @Test
  void missingFile() {
    assertThatThrownBy(() -> reader.readImages(hadoop(dir.resolve("nope"))))
        .isInstanceOf(InputFileException.class)
        .hasMessageContaining("nope")
        .hasMessageContaining("file not found");
  }

  @Test
  void emptyFile() throws Exception {
    Files.write(dir.resolve("empty"), new byte[0]);
    assertThatThrownBy(() -> reader.readImages(hadoop(dir.resolve("empty"))))
        .isInstanceOf(InputFileException.class)
        .hasMessageContaining("empty")
        .hasMessageContaining("file is empty");
  }

  @Test
  void wrongMagicNumber() {
    TestData.write(
        dir.resolve("labels-as-images"), TestData.idx(new int[] {2049, 1}, new byte[] {3}), false);
    assertThatThrownBy(() -> reader.readImages(hadoop(dir.resolve("labels-as-images"))))
        .isInstanceOf(InputFileException.class)
        .hasMessageContaining("labels-as-images")
        .hasMessageContaining("wrong magic number 2049, expected 2051");
  }

  @Test
  void truncatedHeader() {
    TestData.write(dir.resolve("short"), new byte[] {0, 0, 8, 3, 0, 0}, false);
    assertThatThrownBy(() -> reader.readImages(hadoop(dir.resolve("short"))))
        .isInstanceOf(InputFileException.class)
        .hasMessageContaining("short")
        .hasMessageContaining("truncated header");
  }

  @Test
  void fileCutOffInsideTheImageDimensionsNamesTheMissingField() {
    TestData.write(
        dir.resolve("no-cols"), TestData.idx(new int[] {2051, 3, 28}, new byte[0]), false);
    assertThatThrownBy(() -> reader.readImages(hadoop(dir.resolve("no-cols"))))
        .isInstanceOf(InputFileException.class)
        .hasMessageContaining("no-cols: truncated header, the file ends before its column count")
        .hasMessageNotContaining("null");
  }

  @Test
  void truncatedPixelData() {
    byte[] pixels = Arrays.copyOf(TestData.pixels(3), 3 * 784 - 100);
    TestData.write(dir.resolve("cut.gz"), TestData.idx(new int[] {2051, 3, 28, 28}, pixels), true);
    assertThatThrownBy(() -> reader.readImages(hadoop(dir.resolve("cut.gz"))))
        .isInstanceOf(InputFileException.class)
        .hasMessageContaining("cut.gz")
        .hasMessageContaining("truncated data")
        .hasMessageContaining("only 2252 bytes follow");
  }

  @Test
  void trailingBytes() {
    TestData.write(
        dir.resolve("long"), TestData.idx(new int[] {2049, 2}, new byte[] {1, 2, 3}), false);
    assertThatThrownBy(() -> reader.readLabels(hadoop(dir.resolve("long"))))
        .isInstanceOf(InputFileException.class)
        .hasMessageContaining("unexpected bytes after the 2 items");
  }

  @Test
  void dimensionsOtherThan28x28() {
    TestData.write(
        dir.resolve("big"), TestData.idx(new int[] {2051, 1, 32, 32}, new byte[32 * 32]), false);
    assertThatThrownBy(() -> reader.readImages(hadoop(dir.resolve("big"))))
        .isInstanceOf(InputFileException.class)
        .hasMessageContaining("images are 32x32, expected 28x28");
  }

  @Test
  void labelOutsideZeroToNine() {
    TestData.write(
        dir.resolve("labels"), TestData.idx(new int[] {2049, 3}, new byte[] {1, 12, 3}), false);
    assertThatThrownBy(() -> reader.readLabels(hadoop(dir.resolve("labels"))))
        .isInstanceOf(InputFileException.class)
        .hasMessageContaining("label 12 at index 1 is outside 0..9");
  }

  @Test
  void imageAndLabelCountsDisagree() {
    TestData.writeImages(dir.resolve("images"), TestData.pixels(3), 3, false);
    TestData.writeLabels(dir.resolve("labels"), TestData.labels(2), false);
    IdxReader.ImageFile images = reader.readImages(hadoop(dir.resolve("images")));
    IdxReader.LabelFile labels = reader.readLabels(hadoop(dir.resolve("labels")));
    assertThatThrownBy(() -> IdxReader.checkSameCount(images, labels))
        .isInstanceOf(InputFileException.class)
        .hasMessageContaining("holds 3 images but")
        .hasMessageContaining("holds 2 labels");
  }

  @Test
  void corruptGzipStream() throws Exception {
    TestData.writeImages(dir.resolve("ok.gz"), TestData.pixels(20), 20, true);
    byte[] bytes = Files.readAllBytes(dir.resolve("ok.gz"));
    for (int i = 20; i < bytes.length - 20; i++) {
      bytes[i] = (byte) (bytes[i] ^ 0x5A);
    }
    Files.write(dir.resolve("bad.gz"), bytes);
    assertThatThrownBy(() -> reader.readImages(hadoop(dir.resolve("bad.gz"))))
        .isInstanceOf(InputFileException.class)
        .hasMessageContaining("bad.gz")
        .hasMessageContaining("corrupt gzip stream");
  }

  @Test
  void headerClaimingAHugeCountIsRejectedWithoutAllocatingIt() {
    // 2^31 - 1 images would be 1.6 TB: the reader must refuse, not try to allocate.
    TestData.write(
        dir.resolve("huge"),
        TestData.idx(new int[] {2051, Integer.MAX_VALUE, 28, 28}, new byte[784]),
        false);
    assertThatThrownBy(() -> reader.readImages(hadoop(dir.resolve("huge"))))
        .isInstanceOf(InputFileException.class)
        .hasMessageContaining("header claims")
        .hasMessageContaining("the header is corrupt");
  }

  @Test
  void headerClaimingMoreItemsThanPresentFailsAsTruncated() {
    // 2,000,000 images (1.5 GB) claimed, 1 present: detected as truncation after reading what is
    // there.
    TestData.write(
        dir.resolve("liar"),
        TestData.idx(new int[] {2051, 2_000_000, 28, 28}, new byte[784]),
        false);
    assertThatThrownBy(() -> reader.readImages(hadoop(dir.resolve("liar"))))
        .isInstanceOf(InputFileException.class)
        .hasMessageContaining("truncated data")
        .hasMessageContaining("only 784 bytes follow");
  }
}
