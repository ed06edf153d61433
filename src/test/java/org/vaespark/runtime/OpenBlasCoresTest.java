package org.vaespark.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vaespark.error.NativeBuildException;
import org.vaespark.error.SettingsException;

/** The choice of OpenBLAS's kernel over recorded cpuinfo flag sets and inherited environments. */
class OpenBlasCoresTest {
  /** An AMD EPYC Zen 5 (CPU family 26), which OpenBLAS 0.3.19 does not know: AVX-512 with AVX512_BF16. */
  static final String AMD_ZEN5_AVX512_BF16 =
      "processor\t: 0\nvendor_id\t: AuthenticAMD\ncpu family\t: 26\nmodel name\t: AMD EPYC\n"
          + "flags\t\t: fpu vme de pse tsc msr pae mce cx8 apic sep pge mca cmov pat pse36 clflush mmx fxsr sse "
          + "sse2 ht syscall nx mmxext lm constant_tsc rep_good nopl xtopology tsc_reliable nonstop_tsc cpuid "
          + "extd_apicid tsc_known_freq pni pclmulqdq ssse3 fma cx16 sse4_1 sse4_2 x2apic movbe popcnt "
          + "tsc_deadline_timer aes xsave avx f16c rdrand hypervisor lahf_lm cr8_legacy misalignsse "
          + "3dnowprefetch topoext pti vmmcall bmi1 avx2 bmi2 erms avx512f avx512dq adx avx512ifma clflushopt "
          + "clwb avx512cd sha_ni avx512bw avx512vl xsaveopt xsavec xgetbv1 avx_vnni avx512_bf16 clzero "
          + "xsaveerptr arat avx512vbmi avx512_vbmi2 gfni vaes vpclmulqdq avx512_vnni avx512_bitalg "
          + "avx512_vpopcntdq movdiri movdir64b fsrm avx512_vp2intersect\n";

  private static CpuFeatures cpu(String cpuinfo) {
    return CpuFeatures.parse(cpuinfo, "recorded cpuinfo");
  }

  @Test
  void zen5WithAvx512AndBf16GetsSkylakeXReplacingTheInheritedHaswell() {
    OpenBlasCores.Choice choice =
        OpenBlasCores.choose(cpu(AMD_ZEN5_AVX512_BF16), "auto", "Haswell");

    assertThat(choice.core()).isEqualTo(OpenBlasCore.SKYLAKEX);
    assertThat(choice.variable()).isEqualTo("SkylakeX");
    assertThat(choice.replacesInherited()).isTrue();
    assertThat(choice.describe())
        .contains("SkylakeX")
        .contains("chosen from the CPU flags")
        .contains("replacing the inherited OPENBLAS_CORETYPE=Haswell");
  }

  @Test
  void intelAvx512WithoutBf16GetsSkylakeX() {
    OpenBlasCores.Choice choice =
        OpenBlasCores.choose(cpu(NativeBuildsTest.INTEL_AVX512), "auto", null);

    assertThat(choice.core()).isEqualTo(OpenBlasCore.SKYLAKEX);
    assertThat(choice.replacesInherited()).isFalse();
    assertThat(OpenBlasCore.COOPERLAKE.runsOn(cpu(NativeBuildsTest.INTEL_AVX512)))
        .isFalse();
  }

  @Test
  void avx2OnlyGetsHaswell() {
    OpenBlasCores.Choice choice =
        OpenBlasCores.choose(cpu(NativeBuildsTest.AMD_AVX2), "auto", null);

    assertThat(choice.core()).isEqualTo(OpenBlasCore.HASWELL);
    assertThat(choice.variable()).isEqualTo("Haswell");
  }

  @Test
  void withoutAvx2OpenBlasDetectsTheCpuAndAnInheritedValueIsRemoved() {
    OpenBlasCores.Choice choice =
        OpenBlasCores.choose(cpu(NativeBuildsTest.OLD_NO_AVX2), "auto", "SkylakeX");

    assertThat(choice.core()).isNull();
    assertThat(choice.variable()).isNull();
    assertThat(choice.replacesInherited()).isTrue();
    assertThat(choice.describe())
        .contains("OpenBLAS's own CPU detection")
        .contains("no AVX2")
        .contains("replacing the inherited OPENBLAS_CORETYPE=SkylakeX");
  }

  @Test
  void unreadableCpuinfoLeavesTheChoiceToOpenBlas(@TempDir Path dir) {
    CpuFeatures unknown = CpuFeatures.read(dir.resolve("no-such-cpuinfo"));

    OpenBlasCores.Choice choice = OpenBlasCores.choose(unknown, "auto", null);

    assertThat(choice.core()).isNull();
    assertThat(choice.variable()).isNull();
    assertThat(choice.reason()).contains("CPU flags unknown").contains("no-such-cpuinfo");
  }

  @Test
  void inheritKeepsTheEnvironmentsValue() {
    OpenBlasCores.Choice choice =
        OpenBlasCores.choose(cpu(AMD_ZEN5_AVX512_BF16), "inherit", "Haswell");

    assertThat(choice.core()).isEqualTo(OpenBlasCore.HASWELL);
    assertThat(choice.variable()).isEqualTo("Haswell");
    assertThat(choice.replacesInherited()).isFalse();
    assertThat(choice.describe()).contains("as inherited");
  }

  @Test
  void inheritWithoutAValueLeavesTheChoiceToOpenBlas() {
    OpenBlasCores.Choice choice = OpenBlasCores.choose(cpu(AMD_ZEN5_AVX512_BF16), "inherit", null);

    assertThat(choice.core()).isNull();
    assertThat(choice.variable()).isNull();
  }

  @Test
  void anInheritedKernelTheCpuLacksIsRefusedEvenWhenKept() {
    assertThatThrownBy(
            () -> OpenBlasCores.choose(cpu(NativeBuildsTest.AMD_AVX2), "inherit", "SkylakeX"))
        .isInstanceOf(NativeBuildException.class)
        .hasMessageContaining("OPENBLAS_CORETYPE=SkylakeX")
        .hasMessageContaining("avx512f");
  }

  @Test
  void aForcedKernelIsUsedInAnyCase() {
    OpenBlasCores.Choice choice =
        OpenBlasCores.choose(cpu(AMD_ZEN5_AVX512_BF16), "cooperlake", "Haswell");

    assertThat(choice.core()).isEqualTo(OpenBlasCore.COOPERLAKE);
    assertThat(choice.variable()).isEqualTo("Cooperlake");
    assertThat(choice.reason()).contains("set by vae.native.openblas-core");
  }

  @Test
  void aForcedKernelTheCpuLacksIsRefusedNamingTheFlagsAndTheSetting() {
    assertThatThrownBy(
            () -> OpenBlasCores.choose(cpu(NativeBuildsTest.INTEL_AVX512), "Cooperlake", null))
        .isInstanceOf(NativeBuildException.class)
        .hasMessageContaining("vae.native.openblas-core = 'Cooperlake'")
        .hasMessageContaining("lacks avx512_bf16")
        .hasMessageContaining("Xeon")
        .hasMessageContaining("set vae.native.openblas-core to auto");
  }

  @Test
  void anUnknownKernelNameIsASettingsError() {
    assertThatThrownBy(() -> OpenBlasCores.validPolicy("vae.native.openblas-core", "Zen5"))
        .isInstanceOf(SettingsException.class)
        .hasMessageContaining("'Zen5' is not an OpenBLAS kernel")
        .hasMessageContaining("SkylakeX");
  }
}
