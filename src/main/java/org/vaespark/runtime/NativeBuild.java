package org.vaespark.runtime;

import java.util.Set;

/**
 * The x86-64 builds of ND4J's native CPU library (nd4j-native 1.0.0-M2.1), each a classifier jar, named to
 * JavaCPP by its platform extension. Each needs the instruction sets its compiler target enables: the AVX2 build
 * targets Haswell (AVX2, FMA, F16C, BMI1/2), the AVX-512 build Skylake-SP (AVX-512 F, CD, BW, DQ, VL). A CPU
 * without one of them dies with SIGILL inside the library, so a build is used only on a CPU that has them all.
 */
public enum NativeBuild {
  AVX512(
      "-avx512",
      Set.of(
          "avx2",
          "fma",
          "f16c",
          "bmi1",
          "bmi2",
          "avx512f",
          "avx512cd",
          "avx512bw",
          "avx512dq",
          "avx512vl")),
  AVX2("-avx2", Set.of("avx2", "fma", "f16c", "bmi1", "bmi2")),
  GENERIC("", Set.of());

  private final String extension;
  private final Set<String> requiredFlags;

  NativeBuild(String extension, Set<String> requiredFlags) {
    this.extension = extension;
    this.requiredFlags = requiredFlags;
  }

  /** JavaCPP's platform extension for this build ("" for the generic x86-64 build). */
  public String extension() {
    return extension;
  }

  /** The CPU flags (as /proc/cpuinfo spells them) that this build's code uses. */
  public Set<String> requiredFlags() {
    return requiredFlags;
  }

  /** The classifier jar that holds this build, for messages. */
  public String classifier() {
    return "linux-x86_64" + extension;
  }

  public boolean runsOn(CpuFeatures cpu) {
    return cpu.missing(requiredFlags).isEmpty();
  }

  /** The build named by a platform extension ("", "-avx2", "-avx512"), or null for an unknown one. */
  public static NativeBuild ofExtension(String extension) {
    for (NativeBuild build : values()) {
      if (build.extension.equals(extension.trim())) {
        return build;
      }
    }
    return null;
  }
}
