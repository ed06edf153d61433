package org.vaespark.runtime;

import java.util.Optional;
import org.apache.spark.TaskContext;
import org.apache.spark.resource.ResourceInformation;
import org.nd4j.linalg.factory.Nd4j;

/** Where ND4J runs inside a Spark task. */
public final class Devices {
  private Devices() {}

  /** The GPU Spark assigned to the running task ({@code spark.task.resource.gpu.amount}); empty outside a task. */
  public static Optional<ResourceInformation> assignedGpu() {
    TaskContext task = TaskContext.get();
    if (task == null) {
      return Optional.empty();
    }
    return Optional.ofNullable(task.resources().get("gpu").getOrElse(() -> null));
  }

  /**
   * Prepares a task's ND4J work; call before the task's first ND4J allocation. Makes sure this JVM's native build
   * is chosen (and fails the task, and so the job, with the executor's reason if ND4J cannot run here), gives ND4J
   * and OpenBLAS as many threads as the task has cores ({@code spark.task.cpus}), so concurrent tasks do not
   * oversubscribe the executor's cores, and binds the task to its GPU ({@link #bindTaskToAssignedGpu}).
   */
  public static void prepareTask() {
    TaskContext task = TaskContext.get();
    prepareTask(task == null ? 0 : task.cpus());
  }

  /** As {@link #prepareTask()} with {@code threads} native threads (0: leave them as they are). */
  public static void prepareTask(int threads) {
    NativeBuilds.configure();
    NativeThreads.limit(threads);
    bindTaskToAssignedGpu();
  }

  /**
   * With Spark's GPU scheduling, makes this task thread's ND4J work run on the GPU that Spark assigned to the
   * task, so executors sharing a node do not all use GPU 0. Does nothing on the CPU backend or outside a task.
   */
  public static void bindTaskToAssignedGpu() {
    if (Nd4j.getEnvironment().isCPU()) {
      return;
    }
    assignedGpu()
        .filter(gpu -> gpu.addresses().length > 0)
        .ifPresent(gpu ->
            Nd4j.getAffinityManager().unsafeSetDevice(Integer.parseInt(gpu.addresses()[0].trim())));
  }
}
