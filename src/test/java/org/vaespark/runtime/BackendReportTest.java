package org.vaespark.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.Test;
import org.vaespark.testing.SparkTestBase;

class BackendReportTest extends SparkTestBase {
  @Test
  void everyExecutorReportsItsNd4jBackend() {
    Map<String, String> executors =
        BackendReport.executors(JavaSparkContext.fromSparkContext(spark.sparkContext()));

    // local mode: the driver is the only executor
    assertThat(executors).containsOnlyKeys("driver");
    NativeBuild build = NativeBuilds.configure().build();
    assertThat(executors.get("driver"))
        .contains("ND4J CpuBackend (CPU, BLAS")
        .contains("native build: " + build.name() + " build (" + build.classifier() + ")")
        .contains("loaded /")
        .contains("/" + build.classifier() + "/libnd4jcpu.so")
        .contains("no GPU assigned by Spark");
  }
}
