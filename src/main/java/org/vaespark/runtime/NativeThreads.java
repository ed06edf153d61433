package org.vaespark.runtime;

import org.nd4j.linalg.factory.Nd4j;

/** The native (OpenMP and BLAS) threads ND4J uses in this JVM. */
public final class NativeThreads {
  private static int current = -1;

  private NativeThreads() {}

  /** Sets ND4J's OpenMP and BLAS thread counts, once per value (tasks of one executor share them). */
  public static synchronized void limit(int threads) {
    if (threads <= 0 || threads == current || !Nd4j.getEnvironment().isCPU()) {
      return;
    }
    Nd4j.getEnvironment().setMaxThreads(threads);
    Nd4j.getEnvironment().setMaxMasterThreads(threads);
    Nd4j.factory().blas().setMaxThreads(threads);
    current = threads;
  }
}
