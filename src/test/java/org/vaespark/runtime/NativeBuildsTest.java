package org.vaespark.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.factory.Nd4j;
import org.vaespark.error.NativeBuildException;

/** The choice of ND4J's native build over recorded cpuinfo flag sets. */
class NativeBuildsTest {
  /** An Intel Xeon (Skylake-SP / Cascade Lake) server, flags as /proc/cpuinfo lists them. */
  static final String INTEL_AVX512 =
      "processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Intel(R) Xeon(R) Platinum 8259CL CPU @ 2.50GHz\n"
          + "flags\t\t: fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush mmx fxsr sse "
          + "sse2 ss ht syscall nx pdpe1gb rdtscp lm constant_tsc rep_good nopl xtopology nonstop_tsc cpuid "
          + "tsc_known_freq pni pclmulqdq ssse3 fma cx16 pcid sse4_1 sse4_2 x2apic movbe popcnt aes xsave avx f16c "
          + "rdrand hypervisor lahf_lm abm 3dnowprefetch invpcid_single pti fsgsbase bmi1 avx2 smep bmi2 erms "
          + "invpcid mpx avx512f avx512dq rdseed adx smap clflushopt clwb avx512cd avx512bw avx512vl xsaveopt xsavec "
          + "xgetbv1 xsaves ida arat pku ospke avx512_vnni\n\nprocessor\t: 1\n";
  /** An AMD EPYC with AVX2 but no AVX-512 (Zen 2/3), the CPU of issue 9. */
  static final String AMD_AVX2 =
      "processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 7B12\n"
          + "flags\t\t: fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush mmx fxsr sse "
          + "sse2 ht syscall nx mmxext fxsr_opt pdpe1gb rdtscp lm constant_tsc rep_good nopl nonstop_tsc cpuid "
          + "extd_apicid tsc_known_freq pni pclmulqdq ssse3 fma cx16 sse4_1 sse4_2 movbe popcnt aes xsave avx f16c "
          + "rdrand hypervisor lahf_lm cmp_legacy cr8_legacy abm sse4a misalignsse 3dnowprefetch osvw topoext "
          + "ssbd ibrs ibpb stibp vmmcall fsgsbase bmi1 avx2 smep bmi2 rdseed adx smap clflushopt clwb sha_ni "
          + "xsaveopt xsavec xgetbv1 clzero xsaveerptr arat npt nrip_save umip rdpid\n";
  /** A 2011 Sandy Bridge: AVX, no AVX2, no FMA. */
  static final String OLD_NO_AVX2 =
      "processor\t: 0\nmodel name\t: Intel(R) Xeon(R) CPU E5-2670 0 @ 2.60GHz\n"
          + "flags\t\t: fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush mmx fxsr sse "
          + "sse2 ss ht syscall nx rdtscp lm constant_tsc rep_good nopl pni pclmulqdq ssse3 cx16 sse4_1 sse4_2 "
          + "x2apic popcnt aes xsave avx hypervisor lahf_lm\n";

  private static final Predicate<NativeBuild> ALL_BUNDLED = build -> true;

  private static CpuFeatures cpu(String cpuinfo) {
    return CpuFeatures.parse(cpuinfo, "recorded cpuinfo");
  }

  @Test
  void intelServerWithAvx512GetsTheAvx512Build() {
    NativeBuilds.Choice choice = NativeBuilds.choose(cpu(INTEL_AVX512), null, ALL_BUNDLED);

    assertThat(choice.build()).isEqualTo(NativeBuild.AVX512);
    assertThat(choice.build().extension()).isEqualTo("-avx512");
    assertThat(choice.describe())
        .contains("linux-x86_64-avx512")
        .contains("Xeon")
        .contains("avx512f");
  }

  @Test
  void amdEpycWithoutAvx512GetsTheAvx2Build() {
    NativeBuilds.Choice choice = NativeBuilds.choose(cpu(AMD_AVX2), null, ALL_BUNDLED);

    assertThat(choice.build()).isEqualTo(NativeBuild.AVX2);
    assertThat(choice.describe())
        .contains("linux-x86_64-avx2")
        .contains("AMD EPYC 7B12")
        .doesNotContain("avx512");
  }

  @Test
  void cpuWithoutAvx2GetsTheGenericBuild() {
    NativeBuilds.Choice choice = NativeBuilds.choose(cpu(OLD_NO_AVX2), null, ALL_BUNDLED);

    assertThat(choice.build()).isEqualTo(NativeBuild.GENERIC);
    assertThat(choice.build().extension()).isEmpty();
  }

  @Test
  void unreadableCpuinfoGetsTheGenericBuild(@TempDir Path dir) {
    CpuFeatures unknown = CpuFeatures.read(dir.resolve("no-such-cpuinfo"));
    NativeBuilds.Choice choice = NativeBuilds.choose(unknown, null, ALL_BUNDLED);

    assertThat(unknown.known()).isFalse();
    assertThat(choice.build()).isEqualTo(NativeBuild.GENERIC);
    assertThat(choice.reason()).contains("CPU flags are unknown").contains("no-such-cpuinfo");
  }

  @Test
  void cpuinfoWithoutFlagsIsUnknown() {
    assertThat(cpu("processor\t: 0\nmodel name\t: something\n").known()).isFalse();
  }

  @Test
  void aBuildMissingFromTheClasspathIsSkipped() {
    NativeBuilds.Choice choice =
        NativeBuilds.choose(cpu(INTEL_AVX512), null, build -> build != NativeBuild.AVX512);

    assertThat(choice.build()).isEqualTo(NativeBuild.AVX2);
  }

  @Test
  void forcingAvx512OnAnAvx2CpuIsRefusedNamingTheMissingFlagAndTheSetting() {
    assertThatThrownBy(() -> NativeBuilds.choose(cpu(AMD_AVX2), "-avx512", ALL_BUNDLED))
        .isInstanceOf(NativeBuildException.class)
        .hasMessageContaining("avx512f")
        .hasMessageContaining("AMD EPYC 7B12")
        .hasMessageContaining(NativeBuilds.PROPERTY);
  }

  @Test
  void forcingAvx2OnACpuWithoutItIsRefused() {
    assertThatThrownBy(() -> NativeBuilds.choose(cpu(OLD_NO_AVX2), "-avx2", ALL_BUNDLED))
        .isInstanceOf(NativeBuildException.class)
        .hasMessageContaining("avx2, bmi1, bmi2, f16c, fma");
  }

  @Test
  void anExplicitBuildTheCpuRunsIsKept() {
    NativeBuilds.Choice choice = NativeBuilds.choose(cpu(INTEL_AVX512), "", ALL_BUNDLED);

    assertThat(choice.build()).isEqualTo(NativeBuild.GENERIC);
    assertThat(choice.explicit()).isTrue();
  }

  @Test
  void anUnknownBuildNameIsRefused() {
    assertThatThrownBy(() -> NativeBuilds.choose(cpu(INTEL_AVX512), "-avx3", ALL_BUNDLED))
        .isInstanceOf(NativeBuildException.class)
        .hasMessageContaining("'-avx3' names no ND4J build");
  }

  @Test
  void thisJvmLoadedTheBuildThatWasChosen() {
    NativeBuilds.Choice choice = NativeBuilds.configure();
    Nd4j.zeros(2, 2).addi(1); // loads the native library if nothing has yet

    assertThat(choice.build().runsOn(CpuFeatures.current())).isTrue();
    assertThat(NativeBuilds.loadedLibrary())
        .contains("/" + choice.build().classifier() + "/libnd4jcpu.so");
  }
}
