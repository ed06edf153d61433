package org.vaespark.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import org.apache.spark.SparkException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vaespark.error.ExitCode;
import org.vaespark.error.OutOfMemoryException;
import org.vaespark.testing.CliProcess;
import org.vaespark.testing.TestData;

/**
 * Running out of memory is a documented outcome: exit code 6 and one line naming what ran out and the setting to
 * raise, never Spark's exit code 52 with a stack trace.
 */
class OutOfMemoryTest {
  @TempDir
  Path dir;

  @Test
  void aTaskThatRunsOutOfHeapInLocalModeExitsWithSixNotSparksFiftyTwo() throws Exception {
    try (CliProcess probe = CliProcess.startMain(
        dir.resolve("probe.log"), List.of("-Xmx700m"), TaskOutOfMemoryProbe.class)) {
      int code = probe.waitFor(180);
      assertThat(code).as(probe.log()).isEqualTo(ExitCode.OUT_OF_MEMORY.code());
      assertThat(probe.log())
          .contains(
              "error: out of memory: the Java heap ran out in a task (local mode: in the driver's JVM)"
                  + " (java.lang.OutOfMemoryError: Java heap space): raise VAE_HEAP");
    }
  }

  @Test
  void withoutTheToolsSettingSparkWouldKillTheJvmWithCode52() throws Exception {
    // What the tool prevents: Spark's own handler on an OutOfMemoryError in a task, in local mode.
    try (CliProcess probe = CliProcess.startMain(
        dir.resolve("probe-52.log"),
        List.of("-Xmx700m", "-Dspark.executor.killOnFatalError.depth=5"),
        TaskOutOfMemoryProbe.class)) {
      assertThat(probe.waitFor(180)).as(probe.log()).isEqualTo(52);
    }
  }

  @Test
  void nd4jsPhysicalMemoryCapThroughTheCommandLineIsNamedWithItsSetting() throws Exception {
    // The case: JavaCPP's cap counts the whole process (heap included), and the JVM is past
    // it
    // when training allocates its first arrays.
    Path input = TestData.writeSample(dir.resolve("idx"), 200, 100, false);
    try (CliProcess cli = CliProcess.start(
        dir.resolve("cli.log"),
        List.of("-Dorg.bytedeco.javacpp.maxphysicalbytes=300M"),
        "pipeline",
        "--input",
        input.toString(),
        "--output",
        dir.resolve("out").toString(),
        "--set",
        "vae.training.epochs=1",
        "--set",
        "vae.training.batch-size-per-worker=32")) {
      int code = cli.waitFor(300);
      assertThat(code).as(cli.log()).isEqualTo(ExitCode.OUT_OF_MEMORY.code());
      assertThat(cli.log())
          .contains("error: out of memory: JavaCPP's physical-memory cap")
          .contains("Physical memory usage is too high")
          .contains("raise VAE_OFFHEAP")
          .doesNotContain("\tat org.vaespark");
      assertThat(dir.resolve("out/model")).doesNotExist();
    }
  }

  @Test
  void eachKindOfMemoryIsNamedWithTheSettingToRaise() {
    SparkException task = new SparkException(
        "Job aborted due to stage failure: Task 0 in stage 3.0 failed 1 times, most recent failure: Lost"
            + " task 0.0 in stage 3.0 (TID 3) (executor driver): java.lang.OutOfMemoryError: Physical"
            + " memory usage is too high: physicalBytes (6G) > maxPhysicalBytes (6G)",
        new OutOfMemoryError(
            "Physical memory usage is too high: physicalBytes (6G) > maxPhysicalBytes (6G)"));
    assertThat(OutOfMemory.find(task, true).getMessage())
        .contains("JavaCPP's physical-memory cap")
        .contains("in a task (local mode")
        .contains("raise VAE_OFFHEAP");
    assertThat(OutOfMemory.find(task, false).getMessage())
        .contains("maxphysicalbytes in spark.executor.extraJavaOptions");

    OutOfMemoryError javacpp = new OutOfMemoryError(
        "Cannot allocate new FloatPointer(100000000): totalBytes = 100M, physicalBytes = 2G");
    javacpp.initCause(new OutOfMemoryError(
        "Failed to allocate memory within limits: totalBytes (100M) + 400M > maxBytes (300M)"));
    assertThat(OutOfMemory.find(new RuntimeException("wrapped", javacpp), true).getMessage())
        .contains("ND4J's off-heap memory ran out on the driver")
        .contains("VAE_OFFHEAP");

    assertThat(OutOfMemory.find(new OutOfMemoryError("Java heap space"), true).getMessage())
        .contains("the Java heap ran out on the driver")
        .contains("raise VAE_HEAP");

    SparkException lost = new SparkException(
        "Job aborted due to stage failure: Task 1 in stage 2.0 failed 4 times, most recent failure: Lost"
            + " task 1.3 in stage 2.0 (TID 9) (10.0.0.5 executor 3): ExecutorLostFailure (executor 3"
            + " exited caused by one of the running tasks) Reason: Command exited with code 52");
    assertThat(OutOfMemory.find(lost, false).getMessage())
        .contains("an executor was lost for using too much memory")
        .contains("spark.executor.memory and spark.executor.memoryOverhead");

    assertThat(OutOfMemory.find(new IllegalStateException("something else"), true))
        .isNull();
    assertThat(ExitCodes.of(new OutOfMemoryError("Java heap space")))
        .isEqualTo(ExitCode.OUT_OF_MEMORY);
    assertThat(new OutOfMemoryException("x").exitCode().code()).isEqualTo(6);
  }
}
