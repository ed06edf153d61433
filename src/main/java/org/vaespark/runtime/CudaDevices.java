package org.vaespark.runtime;

import com.sun.jna.Function;
import com.sun.jna.NativeLibrary;
import com.sun.jna.ptr.IntByReference;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.vaespark.error.NativeBuildException;

/**
 * Whether ND4J's CUDA build can run on this machine's GPUs. nd4j-cuda-11.6 1.0.0-M2.1 carries machine code (SASS)
 * for compute capabilities 3.7 to 8.6 and no PTX that the driver could compile for a newer GPU. Machine code runs
 * on GPUs of the same major version and an equal or higher minor one, so Kepler 3.7 and Maxwell, Pascal, Volta,
 * Turing, Ampere (8.0, 8.6) and Ada (8.9) GPUs run it, and Hopper (9.0) and newer do not: there the first kernel
 * fails with "no kernel image is available for execution on the device". So the CUDA build checks every visible
 * GPU before ND4J loads, through the CUDA driver's own library ({@code libcuda.so.1}).
 */
public final class CudaDevices {
  /** Compute capabilities {major, minor} the build has machine code for. */
  static final int[][] MACHINE_CODE = {
    {3, 7}, {5, 0}, {5, 2}, {6, 0}, {6, 1}, {7, 0}, {7, 5}, {8, 0}, {8, 6}
  };

  private static final int ATTRIBUTE_MAJOR = 75; // CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR
  private static final int ATTRIBUTE_MINOR = 76; // CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR

  private CudaDevices() {}

  /** One GPU as the CUDA driver lists it. */
  public record Device(int index, String name, int major, int minor) {
    public String capability() {
      return major + "." + minor;
    }

    /** Whether the build's machine code runs on this GPU. */
    public boolean runsBuild() {
      for (int[] built : MACHINE_CODE) {
        if (built[0] == major && built[1] <= minor) {
          return true;
        }
      }
      return false;
    }
  }

  /**
   * Refuses GPUs the build cannot run, naming each with its compute capability.
   *
   * @throws NativeBuildException if any listed GPU cannot run the build
   */
  public static void check(List<Device> devices) {
    List<Device> unusable = devices.stream().filter(d -> !d.runsBuild()).toList();
    if (unusable.isEmpty()) {
      return;
    }
    String named = unusable.stream()
        .map(d ->
            "GPU " + d.index() + " (" + d.name() + ", compute capability " + d.capability() + ")")
        .collect(Collectors.joining(", "));
    throw new NativeBuildException(
        named + ": ND4J 1.0.0-M2.1's CUDA build carries machine code for compute "
            + "capabilities 3.7 to 8.6 and no PTX, so its kernels cannot run on "
            + (unusable.size() == 1 ? "it" : "them")
            + " (Ampere 8.x and Ada 8.9 GPUs run it; Hopper 9.0 and newer do "
            + "not): run the CPU jar on these nodes, or use nodes with GPUs of compute capability 3.7 to 8.9 (README, "
            + "'GPU executors')");
  }

  /** The GPUs the CUDA driver shows this process (after CUDA_VISIBLE_DEVICES); empty without a driver. */
  public static List<Device> visible() {
    NativeLibrary cuda;
    try {
      cuda = NativeLibrary.getInstance("cuda");
    } catch (UnsatisfiedLinkError e) {
      return List.of(); // No driver: ND4J's own loading reports that.
    }
    if (call(cuda, "cuInit", 0) != 0) {
      return List.of();
    }
    IntByReference count = new IntByReference();
    call(cuda, "cuDeviceGetCount", count);
    List<Device> devices = new ArrayList<>();
    for (int i = 0; i < count.getValue(); i++) {
      IntByReference device = new IntByReference();
      IntByReference major = new IntByReference();
      IntByReference minor = new IntByReference();
      byte[] name = new byte[256];
      call(cuda, "cuDeviceGet", device, i);
      call(cuda, "cuDeviceGetName", name, name.length, device.getValue());
      call(cuda, "cuDeviceGetAttribute", major, ATTRIBUTE_MAJOR, device.getValue());
      call(cuda, "cuDeviceGetAttribute", minor, ATTRIBUTE_MINOR, device.getValue());
      devices.add(new Device(i, cString(name), major.getValue(), minor.getValue()));
    }
    return devices;
  }

  private static int call(NativeLibrary library, String name, Object... args) {
    Function function = library.getFunction(name);
    return function.invokeInt(args);
  }

  private static String cString(byte[] bytes) {
    int end = 0;
    while (end < bytes.length && bytes[end] != 0) {
      end++;
    }
    return new String(bytes, 0, end, StandardCharsets.UTF_8);
  }
}
