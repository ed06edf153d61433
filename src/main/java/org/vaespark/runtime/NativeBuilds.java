package org.vaespark.runtime;

import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;
import org.bytedeco.javacpp.Loader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vaespark.error.NativeBuildException;

/**
 * The one place that chooses ND4J's native CPU build (generic x86-64, AVX2 or AVX-512) for this JVM, from the
 * CPU it runs on. JavaCPP itself loads the most specific build on the classpath without looking at the CPU, and
 * the AVX-512 build then dies with SIGILL on a CPU without AVX-512; so before ND4J's first class loads, every JVM
 * of this tool (the CLI driver, each executor through {@link NativeBuildPlugin}, the test JVMs) calls
 * {@link #configure()}, which sets JavaCPP's run-time property {@value #PROPERTY} to the fastest build the CPU
 * can run. A value the user set is kept, and refused with a {@link NativeBuildException} if the CPU cannot run it.
 */
public final class NativeBuilds {
  /** JavaCPP's run-time property that names the platform extension to load. */
  public static final String PROPERTY = "org.bytedeco.javacpp.platform.extension";

  private static final Logger LOG = LoggerFactory.getLogger(NativeBuilds.class);
  private static final String CPU_BACKEND = "org/nd4j/linalg/cpu/nativecpu/CpuBackend.class";
  private static final String CUDA_BACKEND = "org/nd4j/linalg/jcublas/JCublasBackend.class";
  private static Choice configured;
  private static OpenBlasCores.Choice openblas;

  private NativeBuilds() {}

  /** What was chosen and why. {@code build} is null where no CPU build applies (the CUDA jar, not x86-64). */
  public record Choice(NativeBuild build, CpuFeatures cpu, boolean explicit, String reason) {
    /** One line for logs and the backend report. */
    public String describe() {
      if (build == null) {
        return reason;
      }
      return (build == NativeBuild.GENERIC ? "generic x86-64" : build.name()) + " build ("
          + build.classifier() + "), " + reason + "; CPU " + cpu.model() + " [" + cpu.simdSummary()
          + "]";
    }
  }

  /**
   * As {@link #configure(String)} with the OpenBLAS policy of the system property {@value
   * OpenBlasCores#PROPERTY} ({@value OpenBlasCores#AUTO} if unset): for JVMs that load no settings (tests,
   * probes) and for every later caller, which gets the first choice.
   */
  public static synchronized Choice configure() {
    return configure(System.getProperty(OpenBlasCores.PROPERTY, OpenBlasCores.AUTO));
  }

  /**
   * Chooses ND4J's native build and OpenBLAS's kernel for this JVM from its CPU, once per JVM (later calls
   * return the first choice): sets {@value #PROPERTY} and the environment variable {@value
   * OpenBlasCores#VARIABLE} accordingly. Must run before ND4J loads its native libraries.
   *
   * @param openblasPolicy {@value OpenBlasCores#AUTO}, {@value OpenBlasCores#INHERIT} or a kernel name
   * @throws NativeBuildException if the user's explicit choice of either cannot run on this CPU or is not a
   *     known build, or (the CUDA build) a GPU cannot run ND4J's CUDA kernels ({@link CudaDevices})
   */
  public static synchronized Choice configure(String openblasPolicy) {
    if (configured == null) {
      CpuFeatures cpu = CpuFeatures.current();
      if (onClasspath(CUDA_BACKEND)) {
        CudaDevices.check(CudaDevices.visible());
      }
      Choice build = configure(cpu, System.getProperty(PROPERTY));
      OpenBlasCores.Choice blas = build.build() == null
          ? null
          : OpenBlasCores.choose(cpu, openblasPolicy, System.getenv(OpenBlasCores.VARIABLE));
      if (build.build() != null) {
        System.setProperty(PROPERTY, build.build().extension());
      }
      if (blas != null) {
        OpenBlasCores.apply(blas);
        if (blas.replacesInherited()) {
          LOG.info("OpenBLAS kernel: {}", blas.describe());
        }
      }
      configured = build;
      openblas = blas;
      LOG.debug("ND4J native build: {}", configured.describe());
    }
    return configured;
  }

  /** The OpenBLAS kernel chosen by {@link #configure}; empty before it or where ND4J does not use OpenBLAS. */
  public static synchronized Optional<OpenBlasCores.Choice> openblas() {
    return Optional.ofNullable(openblas);
  }

  static Choice configure(CpuFeatures cpu, String explicit) {
    if (!isX86_64() || !onClasspath(CPU_BACKEND)) {
      return new Choice(
          null, cpu, explicit != null, "no ND4J CPU build to choose (" + backendNote() + ")");
    }
    return choose(cpu, explicit, NativeBuilds::bundled);
  }

  /**
   * The fastest build that the CPU can run and the classpath holds, or the user's explicit choice after checking
   * that the CPU can run it.
   */
  public static Choice choose(CpuFeatures cpu, String explicit, Predicate<NativeBuild> bundled) {
    if (explicit != null) {
      return explicit(cpu, explicit);
    }
    for (NativeBuild build : NativeBuild.values()) {
      if (build.runsOn(cpu) && bundled.test(build)) {
        String why = build == NativeBuild.GENERIC && !cpu.known()
            ? "chosen because the CPU flags are unknown (" + cpu.source() + ")"
            : "chosen from the CPU flags";
        return new Choice(build, cpu, false, why);
      }
    }
    throw new NativeBuildException(
        "no ND4J native build for x86-64 is on the classpath: add nd4j-native's "
            + "linux-x86_64 classifier jar");
  }

  private static Choice explicit(CpuFeatures cpu, String extension) {
    NativeBuild build = NativeBuild.ofExtension(extension);
    if (build == null) {
      throw new NativeBuildException(
          PROPERTY + " = '" + extension + "' names no ND4J build: use '-avx512', '-avx2' "
              + "or '' (generic x86-64), or leave it unset to choose from the CPU");
    }
    if (!cpu.known()) {
      return new Choice(
          build, cpu, true, "set by " + PROPERTY + " (CPU flags unknown, not checked)");
    }
    if (!build.runsOn(cpu)) {
      throw new NativeBuildException(
          PROPERTY + " = '" + extension + "' asks for ND4J's " + build.name()
              + " build, but this CPU (" + cpu.model() + ") lacks "
              + String.join(", ", cpu.missing(build.requiredFlags()))
              + ": remove that setting (from the JVM options or spark.executor.extraJavaOptions) to let the tool choose, "
              + "or set it to a build this CPU runs");
    }
    return new Choice(build, cpu, true, "set by " + PROPERTY);
  }

  /** The native ND4J library file JavaCPP loaded in this JVM, or "not loaded yet". */
  public static String loadedLibrary() {
    Map<String, String> loaded = Loader.getLoadedLibraries();
    for (String name : new String[] {"nd4jcpu", "nd4jcuda"}) {
      if (loaded.containsKey(name)) {
        return loaded.get(name);
      }
    }
    return "not loaded yet";
  }

  /** Whether the classpath holds the given build's native library. */
  static boolean bundled(NativeBuild build) {
    return onClasspath(
        "org/nd4j/linalg/cpu/nativecpu/bindings/" + build.classifier() + "/libnd4jcpu.so");
  }

  private static boolean onClasspath(String resource) {
    return NativeBuilds.class.getClassLoader().getResource(resource) != null;
  }

  private static boolean isX86_64() {
    String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
    return arch.equals("amd64") || arch.equals("x86_64");
  }

  private static String backendNote() {
    return isX86_64()
        ? "nd4j-native is not on the classpath; the CUDA build chooses by GPU"
        : "not an x86-64 JVM";
  }
}
