package org.vaespark.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.AccessDeniedException;
import org.apache.spark.SparkException;
import org.junit.jupiter.api.Test;
import org.vaespark.error.ExitCode;

/** Failures that reach the command line without being one of the tool's own: storage refused inside Spark. */
class ExitCodesTest {
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
