package org.vaespark.model;

import org.apache.spark.TaskContext;
import org.apache.spark.resource.ResourceInformation;
import org.nd4j.linalg.factory.Nd4j;

/** Where ND4J runs inside a Spark task. */
public final class Devices {
  private Devices() {}

  /**
   * With Spark's GPU scheduling ({@code spark.task.resource.gpu.amount}), makes this task thread's ND4J work run
   * on the GPU that Spark assigned to the task, so executors sharing a node do not all use GPU 0. Does nothing on
   * the CPU backend or outside a task. Call before the task's first ND4J allocation.
   */
  public static void bindTaskToAssignedGpu() {
    TaskContext task = TaskContext.get();
    if (task == null || Nd4j.getEnvironment().isCPU()) {
      return;
    }
    ResourceInformation gpu = task.resources().get("gpu").getOrElse(() -> null);
    if (gpu != null && gpu.addresses().length > 0) {
      Nd4j.getAffinityManager().unsafeSetDevice(Integer.parseInt(gpu.addresses()[0].trim()));
    }
  }
}
