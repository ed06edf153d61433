package org.vaespark.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.vaespark.error.ExitCode;
import org.vaespark.testing.CliProcess;

/**
 * One training step in a child JVM with each native build this CPU can run (the generic one included, so the
 * fallback runs on every CI machine), and the choice the tool makes for a recorded AVX2-only CPU.
 */
class NativeBuildChildJvmTest {
  @TempDir
  Path dir;

  static List<NativeBuild> buildsThisCpuRuns() {
    CpuFeatures cpu = CpuFeatures.current();
    return Arrays.stream(NativeBuild.values()).filter(b -> b.runsOn(cpu)).toList();
  }

  private String probe(List<String> jvmOptions) throws Exception {
    return probe(jvmOptions, Map.of());
  }

  private String probe(List<String> jvmOptions, Map<String, String> environment) throws Exception {
    Path log = dir.resolve("probe-" + System.nanoTime() + ".log");
    try (CliProcess process =
        CliProcess.startMain(log, jvmOptions, environment, TrainingStepProbe.class)) {
      int exit = process.waitFor(120);
      assertThat(exit).as(process.log()).isZero();
      return process.log();
    }
  }

  @ParameterizedTest
  @MethodSource("buildsThisCpuRuns")
  void aTrainingStepRunsWithEveryBuildThisCpuSupports(NativeBuild build) throws Exception {
    String output = probe(List.of("-D" + NativeBuilds.PROPERTY + "=" + build.extension()));

    assertThat(output).contains("probe build=" + build.name() + " explicit=true");
    assertThat(output).contains("/" + build.classifier() + "/libnd4jcpu.so");
    Matcher step = Pattern.compile("probe score=(\\S+) change=(\\S+)").matcher(output);
    assertThat(step.find()).as(output).isTrue();
    assertThat(Double.parseDouble(step.group(1))).isFinite().isPositive();
    assertThat(Double.parseDouble(step.group(2)))
        .as("the step moved the parameters")
        .isPositive();
  }

  @Test
  void onAnAvx2OnlyCpuTheAvx2BuildIsChosenAndLoaded() throws Exception {
    Assumptions.assumeTrue(
        NativeBuild.AVX2.runsOn(CpuFeatures.current()),
        "this CPU cannot run the AVX2 build, so it cannot stand in for an AVX2-only machine");
    Path cpuinfo = Files.writeString(dir.resolve("cpuinfo-amd"), NativeBuildsTest.AMD_AVX2);

    String output = probe(List.of("-D" + CpuFeatures.CPUINFO_PROPERTY + "=" + cpuinfo));

    assertThat(output)
        .contains("probe build=AVX2 explicit=false")
        .contains("/linux-x86_64-avx2/libnd4jcpu.so");
  }

  static List<OpenBlasCore> kernelsThisCpuRuns() {
    CpuFeatures cpu = CpuFeatures.current();
    return Arrays.stream(OpenBlasCore.values())
        .filter(core -> core == OpenBlasCore.SKYLAKEX || core == OpenBlasCore.HASWELL)
        .filter(core -> core.runsOn(cpu))
        .toList();
  }

  @Test
  void theKernelOpenBlasReportsIsTheOneChosenReplacingAnInheritedValue() throws Exception {
    OpenBlasCores.Choice expected =
        OpenBlasCores.choose(CpuFeatures.current(), OpenBlasCores.AUTO, "Prescott");

    String output = probe(List.of(), Map.of(OpenBlasCores.VARIABLE, "Prescott"));

    Matcher blas = Pattern.compile("probe openblas chosen=(\\S+) inuse=(\\S+) replaced=(\\S+)")
        .matcher(output);
    assertThat(blas.find()).as(output).isTrue();
    if (expected.core() != null) {
      assertThat(blas.group(1)).isEqualTo(expected.core().coreName());
      assertThat(blas.group(2)).as(output).isEqualTo(expected.core().coreName());
      assertThat(blas.group(3)).isEqualTo("true");
    } else {
      assertThat(blas.group(2)).as("OpenBLAS detected the CPU itself").isNotEqualTo("Prescott");
    }
  }

  @ParameterizedTest
  @MethodSource("kernelsThisCpuRuns")
  void aForcedKernelIsTheOneOpenBlasUses(OpenBlasCore core) throws Exception {
    String output = probe(
        List.of("-D" + OpenBlasCores.PROPERTY + "=" + core.coreName()),
        Map.of(OpenBlasCores.VARIABLE, "Prescott"));

    assertThat(output)
        .contains("probe openblas chosen=" + core.coreName() + " inuse=" + core.coreName());
  }

  @Test
  void forcingAKernelTheCpuLacksExitsWith4AndNamesTheFlagAndTheSetting() throws Exception {
    Path cpuinfo = Files.writeString(dir.resolve("cpuinfo-amd"), NativeBuildsTest.AMD_AVX2);
    Path log = dir.resolve("forced-kernel.log");
    List<String> options = List.of("-D" + CpuFeatures.CPUINFO_PROPERTY + "=" + cpuinfo);
    try (CliProcess cli = CliProcess.start(
        log,
        options,
        "prepare",
        "--input",
        "data-prep/sample",
        "--output",
        dir.resolve("out").toString(),
        "--set",
        OpenBlasCores.PROPERTY + "=SkylakeX")) {
      int exit = cli.waitFor(60);

      assertThat(exit).as(cli.log()).isEqualTo(ExitCode.NO_BACKEND.code());
      assertThat(cli.log())
          .contains("error: " + OpenBlasCores.PROPERTY
              + " = 'SkylakeX' asks for OpenBLAS's SkylakeX kernels")
          .contains("lacks avx512bw")
          .doesNotContain("SIGILL");
    }
    assertThat(dir.resolve("out")).doesNotExist();
  }

  @Test
  void forcingABuildTheCpuLacksExitsWith4AndNamesTheFlagAndTheSetting() throws Exception {
    Path cpuinfo = Files.writeString(dir.resolve("cpuinfo-amd"), NativeBuildsTest.AMD_AVX2);
    Path log = dir.resolve("forced.log");
    List<String> options = List.of(
        "-D" + CpuFeatures.CPUINFO_PROPERTY + "=" + cpuinfo,
        "-D" + NativeBuilds.PROPERTY + "=-avx512");
    try (CliProcess cli = CliProcess.start(
        log,
        options,
        "prepare",
        "--input",
        "data-prep/sample",
        "--output",
        dir.resolve("out").toString())) {
      int exit = cli.waitFor(60);

      assertThat(exit).as(cli.log()).isEqualTo(ExitCode.NO_BACKEND.code());
      assertThat(cli.log())
          .contains("error: " + NativeBuilds.PROPERTY + " = '-avx512'")
          .contains("lacks avx512bw")
          .contains("remove that setting")
          .doesNotContain("SIGILL");
    }
    assertThat(dir.resolve("out")).doesNotExist();
  }
}
