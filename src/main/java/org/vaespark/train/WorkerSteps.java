package org.vaespark.train;

import java.util.ArrayDeque;
import java.util.Deque;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.vaespark.model.Dl4jLayerStep;
import org.vaespark.model.FusedVaeStep;
import org.vaespark.model.TrainingStep;

/**
 * The training steps (network configuration, parameter and Adam arrays, work buffers) of one executor JVM, kept
 * between the epochs of a training run: each epoch's task borrows one, loads the round's state into its arrays and
 * gives it back, instead of parsing the configuration and allocating every buffer again. Steps of an earlier run
 * are dropped when a new run starts here.
 */
final class WorkerSteps {
  private static String run;
  private static final Deque<TrainingStep> FREE = new ArrayDeque<>();

  private WorkerSteps() {}

  /** A step for the plan's run: a free one, or a new one with zeroed state (the server sends the real state). */
  static TrainingStep borrow(AveragingTrainer.Plan plan) {
    synchronized (WorkerSteps.class) {
      if (!plan.runId.equals(run)) {
        run = plan.runId;
        FREE.clear();
      }
      TrainingStep free = FREE.poll();
      if (free != null) {
        return free;
      }
    }
    MultiLayerConfiguration conf = MultiLayerConfiguration.fromJson(plan.configuration);
    INDArray params = Nd4j.create(DataType.FLOAT, 1, plan.numParams);
    INDArray updater = Nd4j.create(DataType.FLOAT, 1, 2 * plan.numParams);
    return plan.fused
        ? new FusedVaeStep(conf, params, updater)
        : new Dl4jLayerStep(conf, params, updater);
  }

  /** Gives a step back for the next epoch's task of the same run. */
  static synchronized void giveBack(AveragingTrainer.Plan plan, TrainingStep step) {
    if (plan.runId.equals(run)) {
      FREE.push(step);
    }
  }
}
