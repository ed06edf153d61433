package org.vaespark.source;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.vaespark.dataset.Images;
import org.vaespark.dataset.MnistDataset;
import org.vaespark.error.InputFileException;
import org.vaespark.io.Storage;
import org.vaespark.testing.SparkTestBase;
import org.vaespark.testing.TestData;

/**
 * IDX files read on the executors: the driver reads headers only, tasks read ranges of whole records. Every check
 * of the format, on the driver or in a task, names the file.
 */
class IdxSourceTest extends SparkTestBase {
  @TempDir
  Path dir;

  private Storage storage() {
    return new Storage(spark.sparkContext().hadoopConfiguration());
  }

  private IdxSource source(Path input, int shards) {
    return new IdxSource(spark, storage(), input.toString(), Images.Shape.DEFAULT, shards);
  }

  private static org.apache.hadoop.fs.Path hadoop(Path file) {
    return new org.apache.hadoop.fs.Path(file.toAbsolutePath().toString());
  }

  private List<Row> rows(Path folder, String split) {
    return spark.read().parquet(folder.resolve(split).toString()).orderBy("id").collectAsList();
  }

  private static long parquetFiles(Path folder) throws IOException {
    try (Stream<Path> files = Files.list(folder)) {
      return files.filter(f -> f.toString().endsWith(".parquet")).count();
    }
  }

  @Test
  void readsTheBundledSample() {
    Path out = dir.resolve("out");
    SourceSummary summary = source(TestData.SAMPLE, 4).write(hadoop(out));
    assertThat(summary.trainExamples()).isEqualTo(8000);
    assertThat(summary.testExamples()).isEqualTo(2000);
    assertThat(summary.kind()).isEqualTo("idx");
    assertThat(summary.labels()).isNull();
    List<Row> train = rows(out, MnistDataset.TRAIN);
    assertThat(train).hasSize(8000);
    // Real digits, every pixel as in the file: every class is present, the full 0..255 range is
    // used.
    assertThat(train.stream().map(r -> r.getInt(1)).distinct().count()).isEqualTo(10);
    assertThat((byte[]) train.get(7999).get(3))
        .isEqualTo(Arrays.copyOfRange(TestData.pixels(8000), 7999 * 784, 8000 * 784));
    assertThat(rows(out, MnistDataset.TEST).get(0).getLong(0)).isEqualTo(8000);
  }

  @Test
  void manyRangesGiveExactlyTheRowsAndFingerprintOfOne() throws IOException {
    Path plain = TestData.writeSample(dir.resolve("plain"), 300, 77, false);
    Path gzipped = TestData.writeSample(dir.resolve("gz"), 300, 77, true);

    SourceSummary one = source(plain, 1).write(hadoop(dir.resolve("one")));
    SourceSummary many = source(plain, 7).write(hadoop(dir.resolve("many")));
    SourceSummary streamed = source(gzipped, 7).write(hadoop(dir.resolve("streamed")));

    assertThat(many.fingerprint()).isEqualTo(one.fingerprint()).isEqualTo(streamed.fingerprint());
    assertThat(source(plain, 5).scan()).isEqualTo(one);
    for (String split : List.of(MnistDataset.TRAIN, MnistDataset.TEST)) {
      List<Row> expected = rows(dir.resolve("one"), split);
      assertThat(expected).hasSize(split.equals(MnistDataset.TRAIN) ? 300 : 77);
      for (String other : List.of("many", "streamed")) {
        List<Row> actual = rows(dir.resolve(other), split);
        assertThat(actual).hasSameSizeAs(expected);
        for (int i = 0; i < expected.size(); i++) {
          assertThat(actual.get(i).getLong(0)).isEqualTo(expected.get(i).getLong(0));
          assertThat(actual.get(i).getInt(1)).isEqualTo(expected.get(i).getInt(1));
          assertThat((byte[]) actual.get(i).get(3))
              .isEqualTo((byte[]) expected.get(i).get(3));
        }
      }
    }
    // One shard per range, and the streamed gzipped split cut into as many shards.
    assertThat(parquetFiles(dir.resolve("one/train"))).isEqualTo(1);
    assertThat(parquetFiles(dir.resolve("many/train"))).isEqualTo(7);
    assertThat(parquetFiles(dir.resolve("streamed/train"))).isEqualTo(7);
  }

  @Test
  void aRangeBoundaryFallsBetweenRecordsByConstruction() {
    // Ranges are runs of whole digest blocks: every boundary is a multiple of the block size, or
    // the end.
    for (int count : new int[] {1, 2, 3, 10, 97, 4095, 4096, 4097, 100_003, 70_000_001}) {
      int size = IdxRange.blockSize(count);
      for (int shards : new int[] {1, 2, 3, 7, 64, 4096, 10_000}) {
        int[] bounds = IdxRange.boundaries(count, shards);
        assertThat(bounds).hasSize(Math.min(shards, IdxRange.blocks(count)) + 1);
        assertThat(bounds[0]).isZero();
        assertThat(bounds[bounds.length - 1]).isEqualTo(count);
        for (int r = 1; r < bounds.length; r++) {
          assertThat(bounds[r]).isGreaterThan(bounds[r - 1]);
          assertThat(bounds[r] == count || bounds[r] % size == 0).isTrue();
        }
      }
    }
    assertThat(IdxRange.blocks(Integer.MAX_VALUE)).isLessThanOrEqualTo(IdxRange.MAX_BLOCKS);
    // A task reads from the range's first record: the header, then whole records.
    IdxHeader images = IdxHeader.images(
        storage(),
        hadoop(TestData.writeSample(dir.resolve("in"), 97, 1, false)
            .resolve("train-images-idx3-ubyte")),
        Images.Shape.DEFAULT);
    for (IdxRange range : IdxRange.plan("train", images, images, 0, 7)) {
      assertThat(range.firstBlock * range.blockSize).isEqualTo(range.from);
    }
  }

  @Test
  void aFileOverTwoGigabytesIsReadAtItsOffsets() throws IOException {
    // 3,000,000 images (2.35 GB, sparse: only the last record holds data), read by its last range
    // alone.
    int count = 3_000_000;
    Path images = dir.resolve("big-images");
    Path labels = dir.resolve("big-labels");
    byte[] last = Arrays.copyOfRange(TestData.pixels(1), 0, 784);
    try (RandomAccessFile file = new RandomAccessFile(images.toFile(), "rw")) {
      file.write(TestData.idx(new int[] {2051, count, 28, 28}, new byte[0]));
      file.setLength(16 + 784L * count);
      file.seek(16 + 784L * (count - 1));
      file.write(last);
    }
    try (RandomAccessFile file = new RandomAccessFile(labels.toFile(), "rw")) {
      file.write(TestData.idx(new int[] {2049, count}, new byte[0]));
      file.setLength(8 + (long) count);
      file.seek(8 + (long) count - 1);
      file.write(7);
    }
    assertThat(Files.size(images)).isGreaterThan(Integer.MAX_VALUE);
    IdxHeader imageHeader = IdxHeader.images(storage(), hadoop(images), Images.Shape.DEFAULT);
    IdxHeader labelHeader = IdxHeader.labels(storage(), hadoop(labels));
    List<IdxRange> plan = IdxRange.plan("train", imageHeader, labelHeader, 0, 4096);
    IdxRange range = plan.get(plan.size() - 1);
    List<IdxRangeDigest> digests = new ArrayList<>();
    List<Row> rows = new ArrayList<>();
    try (IdxRangeReader reader = IdxRangeReader.open(range, new Configuration(), digests::add)) {
      reader.forEachRemaining(rows::add);
    }
    Row lastRow = rows.get(rows.size() - 1);
    assertThat(lastRow.getLong(0)).isEqualTo(count - 1);
    assertThat(lastRow.getInt(1)).isEqualTo(7);
    assertThat((byte[]) lastRow.get(3)).isEqualTo(last);
    assertThat(rows).hasSize(range.to - range.from);
    assertThat(digests).singleElement().satisfies(d -> assertThat(d.imageBlocks).hasSize(1));
  }

  @Test
  void missingFile() {
    assertThatThrownBy(
            () -> IdxHeader.images(storage(), hadoop(dir.resolve("nope")), Images.Shape.DEFAULT))
        .isInstanceOf(InputFileException.class)
        .hasMessageContaining("nope: file not found");
  }

  @Test
  void emptyFile() throws IOException {
    Files.write(dir.resolve("empty"), new byte[0]);
    assertThatThrownBy(
            () -> IdxHeader.images(storage(), hadoop(dir.resolve("empty")), Images.Shape.DEFAULT))
        .isInstanceOf(InputFileException.class)
        .hasMessageContaining("empty: file is empty, expected an IDX file");
  }

  @Test
  void wrongMagicNumber() {
    TestData.write(
        dir.resolve("labels-as-images"), TestData.idx(new int[] {2049, 1}, new byte[] {3}), false);
    assertThatThrownBy(() -> IdxHeader.images(
            storage(), hadoop(dir.resolve("labels-as-images")), Images.Shape.DEFAULT))
        .isInstanceOf(InputFileException.class)
        .hasMessageContaining("labels-as-images: wrong magic number 2049, expected 2051");
  }

  @Test
  void truncatedHeader() {
    TestData.write(dir.resolve("short"), new byte[] {0, 0, 8, 3, 0, 0}, false);
    assertThatThrownBy(
            () -> IdxHeader.images(storage(), hadoop(dir.resolve("short")), Images.Shape.DEFAULT))
        .isInstanceOf(InputFileException.class)
        .hasMessageContaining("short: truncated header, the file ends before its item count");
  }

  @Test
  void fileCutOffInsideTheImageDimensionsNamesTheMissingField() {
    TestData.write(
        dir.resolve("no-cols"), TestData.idx(new int[] {2051, 3, 28}, new byte[0]), false);
    assertThatThrownBy(
            () -> IdxHeader.images(storage(), hadoop(dir.resolve("no-cols")), Images.Shape.DEFAULT))
        .isInstanceOf(InputFileException.class)
        .hasMessageContaining("no-cols: truncated header, the file ends before its column count")
        .hasMessageNotContaining("null");
  }

  @Test
  void dimensionsOtherThanTheDatasetsSize() {
    TestData.write(
        dir.resolve("big"), TestData.idx(new int[] {2051, 1, 32, 32}, new byte[32 * 32]), false);
    assertThatThrownBy(
            () -> IdxHeader.images(storage(), hadoop(dir.resolve("big")), Images.Shape.DEFAULT))
        .isInstanceOf(InputFileException.class)
        .hasMessageContaining("images are 32x32, expected 28x28 (vae.prepare.image-size")
        .hasMessageContaining("set it to 32x32");
    assertThat(
            IdxHeader.images(storage(), hadoop(dir.resolve("big")), new Images.Shape(32, 32)).count)
        .isEqualTo(1);
  }

  @Test
  void aCountBeyondTheFormatsSigned32BitLimitIsCorrupt() {
    // 0x80000000 items: more than a signed 32-bit count allows.
    TestData.write(
        dir.resolve("beyond"),
        TestData.idx(new int[] {2051, Integer.MIN_VALUE, 28, 28}, new byte[784]),
        false);
    assertThatThrownBy(
            () -> IdxHeader.images(storage(), hadoop(dir.resolve("beyond")), Images.Shape.DEFAULT))
        .isInstanceOf(InputFileException.class)
        .hasMessageContaining("beyond: negative item count -2147483648")
        .hasMessageContaining("signed 32-bit")
        .hasMessageContaining("the header is corrupt");
  }

  @Test
  void headerClaimingAHugeCountIsTruncatedWithoutAllocatingIt() {
    // 2^31 - 1 images would be 1.6 TB: found from the file's length, nothing allocated or read.
    TestData.write(
        dir.resolve("huge"),
        TestData.idx(new int[] {2051, Integer.MAX_VALUE, 28, 28}, new byte[784]),
        false);
    assertThatThrownBy(
            () -> IdxHeader.images(storage(), hadoop(dir.resolve("huge")), Images.Shape.DEFAULT))
        .isInstanceOf(InputFileException.class)
        .hasMessageContaining("huge: truncated data, the header declares pixel data of "
            + Integer.MAX_VALUE + " images (" + 784L * Integer.MAX_VALUE
            + " bytes) but only 784 bytes follow");
  }

  @Test
  void trailingBytesOfAnUncompressedFile() {
    TestData.write(
        dir.resolve("long"), TestData.idx(new int[] {2049, 2}, new byte[] {1, 2, 3}), false);
    assertThatThrownBy(() -> IdxHeader.labels(storage(), hadoop(dir.resolve("long"))))
        .isInstanceOf(InputFileException.class)
        .hasMessageContaining("long: unexpected bytes after the 2 items the header declares");
  }

  /** A sample whose {@code file} is replaced by {@code content} (gzipped or not). */
  private Path sampleWith(String name, String file, byte[] content, boolean gzip) {
    Path input = TestData.writeSample(dir.resolve(name), 40, 20, false);
    try {
      Files.delete(input.resolve(file));
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    TestData.write(input.resolve(file + (gzip ? ".gz" : "")), content, gzip);
    return input;
  }

  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void aLabelOutsideZeroToNineIsFoundByTheTaskThatReadsIt(boolean gzip) {
    byte[] labels = TestData.labels(40);
    labels[33] = 12;
    Path input = sampleWith(
        "bad-label-" + gzip,
        "train-labels-idx1-ubyte",
        TestData.idx(new int[] {2049, 40}, labels),
        gzip);
    // Four ranges of 10: the bad label is in the last one.
    assertThatThrownBy(() -> source(input, 4).write(hadoop(dir.resolve("out-" + gzip))))
        .isInstanceOf(InputFileException.class)
        .hasMessageContaining("train-labels-idx1-ubyte")
        .hasMessageContaining(": label 12 at index 33 is outside 0..9");
    assertThatThrownBy(() -> source(input, 4).scan())
        .isInstanceOf(InputFileException.class)
        .hasMessageContaining(": label 12 at index 33 is outside 0..9");
  }

  @Test
  void truncatedPixelDataOfAGzippedFile() {
    byte[] pixels = Arrays.copyOf(TestData.pixels(40), 40 * 784 - 100);
    Path input = sampleWith(
        "cut", "train-images-idx3-ubyte", TestData.idx(new int[] {2051, 40, 28, 28}, pixels), true);
    assertThatThrownBy(() -> source(input, 2).scan())
        .isInstanceOf(InputFileException.class)
        .hasMessageContaining("train-images-idx3-ubyte.gz: truncated data, the header declares "
            + "pixel data of 40 images (31360 bytes) but only 31260 bytes follow");
  }

  @Test
  void truncatedPixelDataOfAnUncompressedFileIsFoundFromItsLength() {
    byte[] pixels = Arrays.copyOf(TestData.pixels(3), 3 * 784 - 100);
    TestData.write(dir.resolve("cut"), TestData.idx(new int[] {2051, 3, 28, 28}, pixels), false);
    assertThatThrownBy(
            () -> IdxHeader.images(storage(), hadoop(dir.resolve("cut")), Images.Shape.DEFAULT))
        .isInstanceOf(InputFileException.class)
        .hasMessageContaining("cut: truncated data")
        .hasMessageContaining("only 2252 bytes follow");
  }

  @Test
  void trailingBytesOfAGzippedFile() {
    byte[] labels = Arrays.copyOf(TestData.labels(40), 41);
    Path input = sampleWith(
        "long-gz", "train-labels-idx1-ubyte", TestData.idx(new int[] {2049, 40}, labels), true);
    assertThatThrownBy(() -> source(input, 2).scan())
        .isInstanceOf(InputFileException.class)
        .hasMessageContaining(
            "train-labels-idx1-ubyte.gz: unexpected bytes after the 40 items the header declares");
  }

  @Test
  void corruptGzipStream() throws IOException {
    Path input = TestData.writeSample(dir.resolve("corrupt"), 40, 20, true);
    Path file = input.resolve("train-images-idx3-ubyte.gz");
    byte[] bytes = Files.readAllBytes(file);
    for (int i = 200; i < bytes.length - 20; i++) {
      bytes[i] = (byte) (bytes[i] ^ 0x5A);
    }
    Files.write(file, bytes);
    assertThatThrownBy(() -> source(input, 2).scan())
        .isInstanceOf(InputFileException.class)
        .hasMessageContaining("train-images-idx3-ubyte.gz: corrupt gzip stream");
  }

  @Test
  void imageAndLabelCountsDisagree() {
    Path input = TestData.writeSample(dir.resolve("counts"), 20, 10, false);
    TestData.writeLabels(input.resolve("t10k-labels-idx1-ubyte"), TestData.labels(9), false);
    assertThatThrownBy(() -> source(input, 2))
        .isInstanceOf(InputFileException.class)
        .hasMessageContaining("t10k-images-idx3-ubyte holds 10 images but")
        .hasMessageContaining("t10k-labels-idx1-ubyte holds 9 labels");
  }

  @Test
  void aHeaderClaimingMoreItemsThanAGzippedFileHoldsIsTruncated() {
    // 2,000,000 images (1.5 GB) claimed, 1 present: found by the streaming task after what is
    // there.
    Path input = sampleWith(
        "liar",
        "train-images-idx3-ubyte",
        TestData.idx(new int[] {2051, 2_000_000, 28, 28}, new byte[784]),
        true);
    TestData.writeLabels(input.resolve("train-labels-idx1-ubyte"), new byte[2_000_000], false);
    assertThatThrownBy(() -> source(input, 2).scan())
        .isInstanceOf(InputFileException.class)
        .hasMessageContaining("truncated data")
        .hasMessageContaining("only 784 bytes follow");
  }
}
