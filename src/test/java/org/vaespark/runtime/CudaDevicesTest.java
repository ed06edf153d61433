package org.vaespark.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.vaespark.error.NativeBuildException;

/** The CUDA build's GPU check over recorded device properties (name and compute capability, as the driver reports). */
class CudaDevicesTest {
  private static final CudaDevices.Device A100 =
      new CudaDevices.Device(0, "NVIDIA A100-SXM4-40GB", 8, 0);
  private static final CudaDevices.Device A10 = new CudaDevices.Device(0, "NVIDIA A10", 8, 6);
  private static final CudaDevices.Device L4 = new CudaDevices.Device(0, "NVIDIA L4", 8, 9);
  private static final CudaDevices.Device H100 =
      new CudaDevices.Device(1, "NVIDIA H100 80GB HBM3", 9, 0);
  private static final CudaDevices.Device B200 = new CudaDevices.Device(2, "NVIDIA B200", 10, 0);

  @Test
  void ampereAndAdaRunTheBuild() {
    assertThat(A100.runsBuild()).isTrue();
    assertThat(A10.runsBuild()).isTrue();
    assertThat(L4.runsBuild()).as("8.6 machine code runs on 8.9").isTrue();
    assertThatCode(() -> CudaDevices.check(List.of(A100, A10, L4))).doesNotThrowAnyException();
  }

  @Test
  void hopperIsRefusedNamingTheGpuItsCapabilityAndWhatTheBuildSupports() {
    assertThat(H100.runsBuild()).isFalse();
    assertThatThrownBy(() -> CudaDevices.check(List.of(A100, H100)))
        .isInstanceOf(NativeBuildException.class)
        .hasMessageStartingWith("GPU 1 (NVIDIA H100 80GB HBM3, compute capability 9.0)")
        .hasMessageContaining("compute capabilities 3.7 to 8.6 and no PTX")
        .hasMessageContaining("Ampere 8.x and Ada 8.9 GPUs run it")
        .hasMessageContaining("run the CPU jar")
        .hasMessageNotContaining("A100");
  }

  @Test
  void blackwellIsRefusedToo() {
    assertThat(B200.runsBuild()).isFalse();
    assertThatThrownBy(() -> CudaDevices.check(List.of(H100, B200)))
        .isInstanceOf(NativeBuildException.class)
        .hasMessageContaining(
            "GPU 1 (NVIDIA H100 80GB HBM3, compute capability 9.0), GPU 2 (NVIDIA B200, "
                + "compute capability 10.0)");
  }

  @Test
  void keplerBelowTheOldestBuiltCapabilityIsRefused() {
    assertThat(new CudaDevices.Device(0, "Tesla K20", 3, 5).runsBuild()).isFalse();
    assertThat(new CudaDevices.Device(0, "Tesla K80", 3, 7).runsBuild()).isTrue();
  }

  @Test
  void noDriverMeansNoDevicesToCheck() {
    // This machine may or may not have an NVIDIA driver; either way the lookup must not throw.
    assertThatCode(CudaDevices::visible).doesNotThrowAnyException();
  }
}
