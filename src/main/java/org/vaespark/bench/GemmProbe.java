package org.vaespark.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.vaespark.runtime.NativeBuilds;
import org.vaespark.runtime.OpenBlasCores;

/**
 * Single-precision GEMM rate through ND4J at the model's big shapes ([128 x 784] x [784 x 400] and
 * [128 x 400] x [400 x 784]), with as many concurrent single-threaded callers as training has workers, as the
 * training tasks run them, through the OpenBLAS kernel the tool chooses (or {@code KERNEL}: auto, inherit or a
 * kernel name). Prints one JSON object. Usage: {@code GemmProbe WORKERS SECONDS [KERNEL]}.
 */
public final class GemmProbe {
  private GemmProbe() {}

  public static void main(String[] args) throws Exception {
    NativeBuilds.configure(args.length > 2 ? args[2] : OpenBlasCores.AUTO);
    int workers = Integer.parseInt(args[0]);
    double seconds = Double.parseDouble(args[1]);
    Nd4j.getEnvironment().setMaxThreads(1);
    Nd4j.getEnvironment().setMaxMasterThreads(1);
    Nd4j.factory().blas().setMaxThreads(1);
    run(workers, 0.5); // warm-up
    double gflops = run(workers, seconds);
    System.out.printf(
        Locale.ROOT,
        "{\"gemm_gflops\": %.1f, \"callers\": %d, \"threads_per_caller\": 1, "
            + "\"shapes\": \"128x784x400, 128x400x784\", \"openblas_kernel\": \"%s\", "
            + "\"native_library\": \"%s\"}%n",
        gflops,
        workers,
        OpenBlasCores.inUse(),
        NativeBuilds.loadedLibrary());
  }

  private static double run(int workers, double seconds) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(workers);
    try {
      List<Future<Double>> flops = new ArrayList<>();
      long deadline = System.nanoTime() + (long) (seconds * 1e9);
      long t0 = System.nanoTime();
      for (int w = 0; w < workers; w++) {
        flops.add(pool.submit(() -> gemms(deadline)));
      }
      double total = 0;
      for (Future<Double> f : flops) {
        total += f.get();
      }
      return total / ((System.nanoTime() - t0) / 1e9) / 1e9;
    } finally {
      pool.shutdown();
    }
  }

  private static double gemms(long deadline) {
    INDArray x = Nd4j.rand(DataType.FLOAT, 128, 784);
    INDArray w1 = Nd4j.rand(DataType.FLOAT, 784, 400);
    INDArray h = Nd4j.create(DataType.FLOAT, 128, 400);
    INDArray w2 = Nd4j.rand(DataType.FLOAT, 400, 784);
    INDArray out = Nd4j.create(DataType.FLOAT, 128, 784);
    double flops = 0;
    while (System.nanoTime() < deadline) {
      Nd4j.gemm(x, w1, h, false, false, 1.0, 0.0);
      Nd4j.gemm(h, w2, out, false, false, 1.0, 0.0);
      flops += 2.0 * 2 * 128 * 784 * 400;
    }
    return flops;
  }
}
