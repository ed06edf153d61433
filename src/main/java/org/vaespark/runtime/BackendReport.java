package org.vaespark.runtime;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.stream.IntStream;
import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Logs, at the start of training, which ND4J backend and devices the driver and each executor use: the backend
 * (CPU or CUDA), the native build with the CPU flags that chose it and the library file JavaCPP loaded, the
 * OpenBLAS kernel chosen and the one OpenBLAS reports in use, BLAS, threads, the CUDA devices ND4J sees and the
 * GPUs Spark assigned to the task. A cluster with a mis-set backend shows up here, not as a slow run.
 */
public final class BackendReport {
  private static final Logger LOG = LoggerFactory.getLogger(BackendReport.class);

  private BackendReport() {}

  /** Logs the driver's backend and that of every executor reached by a few small tasks. */
  public static void log(JavaSparkContext sc) {
    LOG.info("Driver on {}: {}", host(), describe());
    executors(sc)
        .forEach((executor, description) -> LOG.info("Executor {} on {}", executor, description));
  }

  /** Executor id to "host: backend" for the executors that ran one of a few small tasks. */
  public static Map<String, String> executors(JavaSparkContext sc) {
    int tasks = Math.max(2, sc.defaultParallelism() * 2);
    List<String> reports = sc.parallelize(IntStream.range(0, tasks).boxed().toList(), tasks)
        .map(i -> SparkEnv.get().executorId() + "\t" + host() + "\t" + describe())
        .collect();
    Map<String, String> byExecutor = new TreeMap<>();
    for (String report : reports) {
      String[] parts = report.split("\t", 3);
      byExecutor.putIfAbsent(parts[0], parts[1] + ": " + parts[2]);
    }
    return byExecutor;
  }

  /** The ND4J backend of this JVM, in one line. */
  static String describe() {
    NativeBuilds.configure();
    Properties env = Nd4j.getExecutioner().getEnvironmentInformation();
    StringBuilder line = new StringBuilder();
    line.append("ND4J ")
        .append(Nd4j.getBackend().getClass().getSimpleName())
        .append(Nd4j.getEnvironment().isCPU() ? " (CPU" : " (CUDA")
        .append(", BLAS ")
        .append(env.getOrDefault("blas.vendor", "?"))
        .append(", ")
        .append(env.getOrDefault("omp.threads", env.getOrDefault("cores", "?")))
        .append(" threads)");
    line.append("; native build: ")
        .append(NativeBuilds.configure().describe())
        .append("; loaded ")
        .append(NativeBuilds.loadedLibrary());
    NativeBuilds.openblas()
        .ifPresent(blas -> line.append("; OpenBLAS kernel ")
            .append(blas.describe())
            .append(", in use ")
            .append(OpenBlasCores.inUse()));
    Object devices = env.get("cuda.devicesInformation");
    if (devices instanceof Collection<?> list && !list.isEmpty()) {
      List<String> names = new ArrayList<>();
      for (Object device : list) {
        if (device instanceof Map<?, ?> info) {
          names.add(info.get("cuda.deviceName") + " (" + info.get("cuda.totalMemory") + " bytes)");
        }
      }
      line.append(", CUDA devices ").append(names);
    }
    if (TaskContext.get() != null) {
      line.append(Devices.assignedGpu()
          .map(gpu -> ", Spark GPU addresses " + String.join(",", gpu.addresses()))
          .orElse(", no GPU assigned by Spark"));
    }
    return line.toString();
  }

  private static String host() {
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (UnknownHostException e) {
      return "unknown host";
    }
  }
}
