package org.vaespark.runtime;

import com.sun.jna.NativeLibrary;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import org.bytedeco.javacpp.Loader;
import org.vaespark.error.NativeBuildException;
import org.vaespark.error.SettingsException;

/**
 * Chooses the kernel family OpenBLAS runs ND4J's GEMMs with. OpenBLAS 0.3.19 picks it once, when its library
 * loads, from the CPU or from the environment variable {@value #VARIABLE}; it does not know newer CPUs (AMD Zen 5
 * is detected as "Barcelona", an SSE kernel at a quarter of the AVX-512 kernel's rate), and an inherited
 * variable overrides its detection whatever the CPU. So {@link NativeBuilds#configure(String)} sets the variable
 * for this process from the CPU flags before ND4J loads, by the policy {@value #PROPERTY}:
 *
 * <ul>
 *   <li>{@value #AUTO}: AVX-512 (F, CD, BW, DQ, VL) gives SkylakeX, with or without AVX512_BF16 (the Cooper Lake
 *       kernels are the Skylake-X ones for single precision: docs/performance.md measures both); AVX2 with FMA
 *       gives Haswell; otherwise, or when the flags are unknown, OpenBLAS detects the CPU itself. An inherited
 *       value is replaced (or removed), and the log says so.
 *   <li>{@value #INHERIT}: the environment's value, or OpenBLAS's own detection when there is none.
 *   <li>a core name (SkylakeX, Haswell, ...): that kernel, if this CPU can run it.
 * </ul>
 */
public final class OpenBlasCores {
  public static final String VARIABLE = "OPENBLAS_CORETYPE";
  /** The setting, also read as a JVM system property where no settings are loaded (tests, probes). */
  public static final String PROPERTY = "vae.native.openblas-core";
  /** The Spark setting that carries the policy to every executor ({@link NativeBuildPlugin}). */
  public static final String SPARK_CONF = "spark.vae.native.openblas-core";

  public static final String AUTO = "auto";
  public static final String INHERIT = "inherit";

  private OpenBlasCores() {}

  /**
   * What was chosen and why. {@code core} is null where OpenBLAS detects the CPU itself; {@code inherited} is the
   * environment's value before the choice (null if none); {@code variable} is what the variable is set to for
   * this process (null: unset).
   */
  public record Choice(
      OpenBlasCore core, String policy, String inherited, String variable, String reason) {
    /** Whether the choice changes the environment this process inherited. */
    public boolean replacesInherited() {
      return inherited != null && !inherited.equals(variable);
    }

    /** One line for logs and the backend report. */
    public String describe() {
      String kernel = core == null ? "OpenBLAS's own CPU detection" : core.coreName();
      String replaced = replacesInherited()
          ? ", replacing the inherited " + VARIABLE + "=" + inherited
          : inherited != null ? ", as inherited" : "";
      return kernel + " (" + reason + replaced + ")";
    }
  }

  /** Checks a policy's spelling: {@value #AUTO}, {@value #INHERIT} or a known core name. */
  public static String validPolicy(String setting, String policy) {
    String value = policy == null ? "" : policy.trim();
    if (value.equalsIgnoreCase(AUTO) || value.equalsIgnoreCase(INHERIT)) {
      return value.toLowerCase(Locale.ROOT);
    }
    OpenBlasCore core = OpenBlasCore.named(value);
    if (core == null) {
      throw new SettingsException(
          setting + " = '" + value + "' is not an OpenBLAS kernel this tool knows: use "
              + AUTO + " (choose from the CPU), " + INHERIT + " (keep " + VARIABLE
              + " as the environment sets it) or "
              + "one of " + names());
    }
    return core.coreName();
  }

  /**
   * The kernel for {@code cpu} under {@code policy}, given the environment's {@code inherited} value (null if
   * unset).
   *
   * @throws NativeBuildException if the policy, or an inherited value kept by {@value #INHERIT}, names a kernel
   *     the CPU cannot run
   */
  public static Choice choose(CpuFeatures cpu, String policy, String inherited) {
    String valid = validPolicy(PROPERTY, policy);
    if (valid.equals(AUTO)) {
      return auto(cpu, inherited);
    }
    if (valid.equals(INHERIT)) {
      OpenBlasCore core = inherited == null ? null : OpenBlasCore.named(inherited);
      if (core != null) {
        requireRuns(
            cpu,
            core,
            VARIABLE + "=" + inherited + " (inherited, kept by " + PROPERTY + " = inherit)");
      }
      return new Choice(
          core, INHERIT, inherited, inherited, "kept by " + PROPERTY + " = " + INHERIT);
    }
    OpenBlasCore core = OpenBlasCore.named(valid);
    requireRuns(cpu, core, PROPERTY + " = '" + valid + "'");
    return new Choice(core, valid, inherited, core.coreName(), "set by " + PROPERTY);
  }

  private static Choice auto(CpuFeatures cpu, String inherited) {
    if (!cpu.known()) {
      return new Choice(null, AUTO, inherited, null, "CPU flags unknown (" + cpu.source() + ")");
    }
    for (OpenBlasCore core : new OpenBlasCore[] {OpenBlasCore.SKYLAKEX, OpenBlasCore.HASWELL}) {
      if (core.runsOn(cpu)) {
        return new Choice(core, AUTO, inherited, core.coreName(), "chosen from the CPU flags");
      }
    }
    return new Choice(null, AUTO, inherited, null, "no AVX2 and FMA on this CPU");
  }

  private static void requireRuns(CpuFeatures cpu, OpenBlasCore core, String what) {
    if (cpu.known() && !core.runsOn(cpu)) {
      throw new NativeBuildException(
          what + " asks for OpenBLAS's " + core.coreName() + " kernels, but this CPU ("
              + cpu.model() + ") lacks " + String.join(", ", cpu.missing(core.requiredFlags()))
              + ": set " + PROPERTY + " to " + AUTO
              + " to let the tool choose, or to a kernel this CPU runs");
    }
  }

  /** Sets (or removes) {@value #VARIABLE} in this process's environment as chosen; OpenBLAS reads it on load. */
  static void apply(Choice choice) {
    if (choice.variable() == null) {
      if (choice.inherited() != null) {
        NativeEnvironment.unset(VARIABLE);
      }
    } else if (!choice.variable().equals(choice.inherited())) {
      NativeEnvironment.set(VARIABLE, choice.variable());
    }
  }

  /** The kernel family the loaded OpenBLAS library uses, as it reports it, or why that is not known. */
  public static String inUse() {
    for (Map.Entry<String, String> library : Loader.getLoadedLibraries().entrySet()) {
      if (library.getKey().startsWith("openblas")) {
        try {
          return NativeLibrary.getInstance(library.getValue())
              .getFunction("openblas_get_corename")
              .invokeString(new Object[0], false);
        } catch (RuntimeException | LinkageError e) {
          return "unknown (" + e.getClass().getSimpleName() + ")";
        }
      }
    }
    return "OpenBLAS not loaded yet";
  }

  private static String names() {
    return Arrays.stream(OpenBlasCore.values())
        .map(OpenBlasCore::coreName)
        .toList()
        .toString();
  }
}
