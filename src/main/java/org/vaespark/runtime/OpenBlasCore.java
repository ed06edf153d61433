package org.vaespark.runtime;

import java.util.Locale;
import java.util.Set;

/**
 * The x86-64 kernel families ("core types") of the OpenBLAS library that ND4J 1.0.0-M2.1 runs every GEMM through
 * (OpenBLAS 0.3.19, built with {@code DYNAMIC_ARCH}), by the name {@code OPENBLAS_CORETYPE} takes and
 * {@code openblas_get_corename} reports, with the CPU flags (as /proc/cpuinfo spells them) each family's code
 * uses. A kernel whose flags the CPU lacks dies with SIGILL, so a family is used only on a CPU that has them all.
 * Listed fastest first for the CPUs that can run them.
 */
public enum OpenBlasCore {
  /** Cooper Lake: the Skylake-X single-precision kernels plus bf16 ones ({@code sbgemm}). */
  COOPERLAKE(
      "Cooperlake",
      Set.of(
          "avx2", "fma", "avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl", "avx512_bf16")),
  /** Skylake-X: AVX-512 kernels. */
  SKYLAKEX(
      "SkylakeX", Set.of("avx2", "fma", "avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl")),
  /** Haswell: AVX2 and FMA kernels. */
  HASWELL("Haswell", Set.of("avx2", "fma")),
  /** AMD Zen 1-3: the Haswell kernels with Zen's blocking. */
  ZEN("Zen", Set.of("avx2", "fma")),
  /** Sandy Bridge: AVX without FMA. */
  SANDYBRIDGE("Sandybridge", Set.of("avx")),
  /** Nehalem: SSE4.2. */
  NEHALEM("Nehalem", Set.of("ssse3", "sse4_1", "sse4_2")),
  /** Prescott: SSE3 ("pni" in cpuinfo), what every x86-64 CPU runs. */
  PRESCOTT("Prescott", Set.of("pni"));

  private final String coreName;
  private final Set<String> requiredFlags;

  OpenBlasCore(String coreName, Set<String> requiredFlags) {
    this.coreName = coreName;
    this.requiredFlags = requiredFlags;
  }

  /** The name as {@code OPENBLAS_CORETYPE} takes it and OpenBLAS reports it. */
  public String coreName() {
    return coreName;
  }

  public Set<String> requiredFlags() {
    return requiredFlags;
  }

  public boolean runsOn(CpuFeatures cpu) {
    return cpu.missing(requiredFlags).isEmpty();
  }

  /** The family with this name (any case), or null. */
  public static OpenBlasCore named(String name) {
    String wanted = name.trim().toLowerCase(Locale.ROOT);
    for (OpenBlasCore core : values()) {
      if (core.coreName.toLowerCase(Locale.ROOT).equals(wanted)) {
        return core;
      }
    }
    return null;
  }
}
