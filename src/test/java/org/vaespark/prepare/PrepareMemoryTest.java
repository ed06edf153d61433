package org.vaespark.prepare;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vaespark.bench.TiledIdx;
import org.vaespark.io.Json;
import org.vaespark.testing.CliProcess;
import org.vaespark.testing.TestData;

/**
 * The driver never holds the data: {@code prepare} of an IDX set larger than the whole heap of its JVM (driver and,
 * in local mode, executors) succeeds. Reading the files into the driver, as earlier versions did, fails here.
 */
class PrepareMemoryTest {
  private static final int IMAGES = 700_000;
  private static final long HEAP_BYTES = 512L << 20;

  @TempDir
  Path dir;

  @Test
  void prepareOfASetLargerThanTheHeapSucceeds() throws Exception {
    Path input = dir.resolve("tiled");
    TiledIdx.write(TestData.SAMPLE, IMAGES, input);
    long pixels;
    try (Stream<Path> files = Files.list(input)) {
      pixels = files
          .filter(f -> f.getFileName().toString().contains("images"))
          .mapToLong(f -> f.toFile().length())
          .sum();
    }
    assertThat(pixels).isGreaterThan(HEAP_BYTES);

    try (CliProcess cli = CliProcess.start(
        dir.resolve("prepare.log"),
        List.of("-Xmx" + (HEAP_BYTES >> 20) + "m"),
        "prepare",
        "--input",
        input.toString(),
        "--output",
        dir.resolve("out").toString())) {
      int code = cli.waitFor(600);
      assertThat(code).as(cli.log()).isZero();
    }
    JsonNode manifest =
        Json.MAPPER.readTree(Files.readString(dir.resolve("out/dataset/manifest.json")));
    assertThat(manifest.get("train_examples").asLong()
            + manifest.get("test_examples").asLong())
        .isEqualTo(IMAGES);
    assertThat(manifest.get("train_examples").asLong()).isEqualTo(IMAGES * 6L / 7);
  }
}
