package org.vaespark.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.AccessDeniedException;
import org.apache.spark.SparkException;
import org.junit.jupiter.api.Test;
import org.vaespark.error.ExitCode;

/**
 * Failures that reach the command line from Spark's jobs: the tool's own, thrown on an executor, reach the driver as
 * text in Spark's job failure and keep their exit code; storage refused inside a job is bad input on one line.
 */
class ExitCodesTest {
  @Test
  void aNativeBuildFailureOnAnExecutorExits4WithItsMessage() {
    SparkException fromSpark =
        new SparkException("Job aborted due to stage failure: Task 0 in stage 3.0 failed 4 "
            + "times, most recent failure: Lost task 0.3 in stage 3.0 (TID 12) (node-7 executor 2): "
            + "org.vaespark.error.NativeBuildException: GPU 0 (NVIDIA H100 80GB HBM3, compute capability 9.0): ND4J "
            + "1.0.0-M2.1's CUDA build carries machine code for compute capabilities 3.7 to 8.6\n"
            + "\tat org.vaespark.runtime.CudaDevices.check(CudaDevices.java:60)\n");
    StringWriter err = new StringWriter();

    int code = ExitCodes.report(
        new IllegalStateException("a training job failed", fromSpark), new PrintWriter(err));

    assertThat(code).isEqualTo(ExitCode.NO_BACKEND.code());
    assertThat(err.toString())
        .startsWith("error: GPU 0 (NVIDIA H100 80GB HBM3, compute capability 9.0)")
        .doesNotContain("\tat ");
  }

  @Test
  void anInputFileFailureOnAnExecutorExits2() {
    SparkException fromSpark = new SparkException(
        "Lost task 1.0: org.vaespark.error.InputFileException: part-00001.parquet is damaged: re-run prepare");

    assertThat(ExitCodes.of(fromSpark)).isEqualTo(ExitCode.BAD_INPUT);
    assertThat(ExitCodes.of(new IllegalStateException("something else")))
        .isEqualTo(ExitCode.FAILURE);
  }

  @Test
  void storageRefusedInsideASparkJobIsBadInputOnOneLine() {
    // A refusal (HTTP 403) as S3A raises it, inside a Spark task (the message as S3A 3.3.4 renders
    // it).
    SparkException fromSpark = new SparkException(
        "Job aborted due to stage failure: Task 0 in stage 3.0 failed 4 times",
        new AccessDeniedException(
            "s3a://b/out/dataset/train/part-0.parquet: open s3a://b/out/dataset/train/"
                + "part-0.parquet: com.amazonaws.services.s3.model.AmazonS3Exception: Forbidden (Service: Amazon S3; "
                + "Status Code: 403; Error Code: 403 Forbidden; Request ID: X; S3 Extended Request ID: null; Proxy: "
                + "null), S3 Extended Request ID: null:403 Forbidden"));
    StringWriter err = new StringWriter();
    int code = ExitCodes.report(new RuntimeException("wrapped", fromSpark), new PrintWriter(err));

    assertThat(code).isEqualTo(ExitCode.BAD_INPUT.code());
    assertThat(err.toString())
        .startsWith(
            "error: storage failed in a Spark job (s3a://b/out/dataset/train/part-0.parquet: open ")
        .contains("access denied by the store (HTTP 403 Forbidden)")
        .doesNotContain("\tat ")
        .hasLineCount(1);
  }

  @Test
  void anythingElseIsABugWithItsStackTrace() {
    StringWriter err = new StringWriter();
    int code = ExitCodes.report(new IllegalStateException("a bug"), new PrintWriter(err));
    assertThat(code).isEqualTo(ExitCode.FAILURE.code());
    assertThat(err.toString())
        .contains("java.lang.IllegalStateException: a bug")
        .contains("\tat ");
  }
}
