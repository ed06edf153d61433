package org.vaespark.runtime;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * The instruction-set flags of this machine's CPU, as the Linux kernel lists them in {@code /proc/cpuinfo}
 * ("flags" on x86-64). An unreadable or flag-less cpuinfo gives {@link #unknown}, for which only the generic
 * native build is safe.
 */
public record CpuFeatures(String model, Set<String> flags, String source) {
  public static final Path PROC_CPUINFO = Path.of("/proc/cpuinfo");
  /** Reads the flags from another file instead (tests use recorded cpuinfo files of other machines). */
  public static final String CPUINFO_PROPERTY = "vae.cpuinfo";

  public CpuFeatures {
    flags = Collections.unmodifiableSortedSet(new TreeSet<>(flags));
  }

  /** The flags of this machine. */
  public static CpuFeatures current() {
    String override = System.getProperty(CPUINFO_PROPERTY, "");
    return read(override.isBlank() ? PROC_CPUINFO : Path.of(override));
  }

  /** The flags listed in a cpuinfo file; {@link #unknown} when it cannot be read or lists none. */
  public static CpuFeatures read(Path cpuinfo) {
    try {
      return parse(Files.readString(cpuinfo), cpuinfo.toString());
    } catch (IOException | RuntimeException e) {
      return unknown(cpuinfo + " unreadable (" + e.getClass().getSimpleName() + ")");
    }
  }

  /** Parses the first processor's "flags" and "model name" lines of cpuinfo text. */
  public static CpuFeatures parse(String cpuinfo, String source) {
    Optional<String> flagLine = field(cpuinfo, "flags");
    if (flagLine.isEmpty() || flagLine.get().isBlank()) {
      return unknown(source + " lists no CPU flags");
    }
    Set<String> flags = Arrays.stream(flagLine.get().trim().split("\\s+"))
        .map(f -> f.toLowerCase(Locale.ROOT))
        .collect(Collectors.toCollection(TreeSet::new));
    return new CpuFeatures(
        field(cpuinfo, "model name").orElse("unknown CPU").trim(), flags, source);
  }

  public static CpuFeatures unknown(String why) {
    return new CpuFeatures("unknown CPU", Set.of(), why);
  }

  public boolean known() {
    return !flags.isEmpty();
  }

  public boolean has(String flag) {
    return flags.contains(flag);
  }

  /** The flags of {@code wanted} that this CPU lacks, in order. */
  public Set<String> missing(Set<String> wanted) {
    return wanted.stream().filter(f -> !has(f)).collect(Collectors.toCollection(TreeSet::new));
  }

  /** The SIMD flags that decide the native build (avx, avx2, fma, avx512*), for reports. */
  public String simdSummary() {
    if (!known()) {
      return "flags unknown: " + source;
    }
    String simd = flags.stream()
        .filter(
            f -> f.equals("avx") || f.equals("avx2") || f.equals("fma") || f.startsWith("avx512"))
        .collect(Collectors.joining(" "));
    return simd.isEmpty() ? "no AVX" : simd;
  }

  private static Optional<String> field(String cpuinfo, String name) {
    return cpuinfo
        .lines()
        .filter(l -> l.startsWith(name) && l.indexOf(':') > 0)
        .filter(l -> l.substring(0, l.indexOf(':')).trim().equals(name))
        .map(l -> l.substring(l.indexOf(':') + 1))
        .findFirst();
  }
}
