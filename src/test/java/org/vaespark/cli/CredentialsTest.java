package org.vaespark.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vaespark.testing.CliProcess;
import org.vaespark.testing.TestData;

/**
 * Credentials given on the command line reach Spark's configuration but never the logs (every logger at INFO,
 * Spark's included) nor any file the pipeline writes (model metadata, manifests, metrics).
 */
class CredentialsTest {
  private static final String SECRET = "TOPSECRET-wJalrXUtnFEMI";
  private static final String ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE";

  @TempDir
  Path dir;

  @Test
  void secretValuesAppearInNoLogAndNoOutputFile() throws Exception {
    Path input = TestData.writeSample(dir.resolve("idx"), 200, 100, false);
    Path out = dir.resolve("out");
    Path logConfig = Files.writeString(
        dir.resolve("log4j2-all-info.properties"),
        String.join(
            "\n",
            "rootLogger.level = info",
            "rootLogger.appenderRef.stdout.ref = console",
            "appender.console.type = Console",
            "appender.console.name = console",
            "appender.console.layout.type = PatternLayout",
            "appender.console.layout.pattern = %d %-5p %c: %m%n"));
    String log;
    try (CliProcess run = CliProcess.start(
        dir.resolve("run.log"),
        List.of("-Dlog4j2.configurationFile=" + logConfig),
        "pipeline",
        "--master",
        "local[2]",
        "--input",
        input.toString(),
        "--output",
        out.toString(),
        "--set",
        "vae.training.epochs=1",
        "--set",
        "vae.training.batch-size-per-worker=32",
        "--set",
        "vae.generate.samples=4",
        "--set",
        "vae.generate.reconstructions=4",
        "--set",
        "vae.spark.conf.\"spark.hadoop.fs.s3a.secret.key\"=" + SECRET,
        "--set",
        "vae.spark.conf.\"spark.hadoop.fs.s3a.access.key\"=" + ACCESS_KEY)) {
      assertThat(run.waitFor(300)).as(run.log()).isZero();
      log = run.log();
    }

    assertThat(log)
        .contains("INFO")
        .contains("SparkContext")
        .doesNotContain(SECRET)
        .doesNotContain(ACCESS_KEY);
    List<Path> textFiles;
    try (Stream<Path> files = Files.walk(out)) {
      textFiles = files
          .filter(Files::isRegularFile)
          .filter(p -> p.toString().matches(".*\\.(json|jsonl|txt|conf|properties)$")
              || p.getFileName().toString().startsWith("CURRENT"))
          .toList();
    }
    assertThat(textFiles)
        .extracting(p -> p.getFileName().toString())
        .contains("metadata.json", "metrics.jsonl", "manifest.json");
    for (Path file : textFiles) {
      assertThat(Files.readString(file))
          .as(file.toString())
          .doesNotContain(SECRET)
          .doesNotContain(ACCESS_KEY);
    }
    assertThat(Files.readString(out.resolve("model/metadata.json"))).contains("<redacted>");
    // model.zip holds DL4J's own configuration only; check its bytes too.
    assertThat(new String(
            Files.readAllBytes(out.resolve("model/model.zip")), StandardCharsets.ISO_8859_1))
        .doesNotContain(SECRET);
  }
}
