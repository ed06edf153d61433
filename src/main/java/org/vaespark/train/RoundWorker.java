package org.vaespark.train;

import java.util.Iterator;
import java.util.List;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.vaespark.dataset.PixelBlock;
import org.vaespark.error.TrainingDivergedException;
import org.vaespark.model.Dl4jLayerStep;
import org.vaespark.model.FusedVaeStep;
import org.vaespark.model.TrainingStep;
import org.vaespark.runtime.Devices;

/** The executor side of an averaging round: one worker's next minibatches, from the round's broadcast state. */
final class RoundWorker {
  private RoundWorker() {}

  static Iterator<RoundResult> work(
      int partition,
      Iterator<PixelBlock> blocks,
      AveragingTrainer.RoundState state,
      AveragingTrainer.Plan plan) {
    if (!blocks.hasNext()) {
      return List.of(RoundResult.EMPTY).iterator();
    }
    PixelBlock block = blocks.next();
    int first = state.round * plan.frequency;
    int last = Math.min(first + plan.frequency, block.batches(plan.batchSize));
    if (first >= last) {
      return List.of(RoundResult.EMPTY).iterator();
    }
    NativeThreads.limit(plan.threads);
    Devices.bindTaskToAssignedGpu();
    TrainingStep step = newStep(state, plan);
    int[] order = block.order(Seeds.derive(plan.seed, state.epoch, partition));
    Nd4j.getRandom().setSeed(Seeds.derive(plan.seed, state.iteration, partition));
    long t0 = System.nanoTime();
    double loss = Double.NaN;
    for (int b = first; b < last; b++) {
      // The loss of the round's last step only: it is NaN or infinite if any earlier step diverged.
      loss = step.fit(
          block.batch(order, b, plan.batchSize),
          state.iteration + b - first,
          state.epoch - 1,
          b == last - 1);
    }
    if (!Double.isFinite(loss)) {
      // Deterministic for the same data and weights, so Spark's task retries fail the same way and
      // the job stops.
      throw new TrainingDivergedException("the VAE loss became " + loss + " at iteration "
          + (state.iteration + last - 1 - first) + " (epoch " + state.epoch + ")");
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    RoundResult result = new RoundResult(
        step.params().toFloatVector(), step.updaterState().toFloatVector(), 1, loss, 1, seconds);
    return List.of(result).iterator();
  }

  /** The training step of the plan, from the broadcast parameters and Adam state. */
  private static TrainingStep newStep(
      AveragingTrainer.RoundState state, AveragingTrainer.Plan plan) {
    MultiLayerConfiguration conf = MultiLayerConfiguration.fromJson(plan.configuration);
    INDArray params =
        Nd4j.create(state.params, new long[] {1, state.params.length}, DataType.FLOAT);
    INDArray updater =
        Nd4j.create(state.updaterState, new long[] {1, state.updaterState.length}, DataType.FLOAT);
    return plan.fused
        ? new FusedVaeStep(conf, params, updater)
        : new Dl4jLayerStep(conf, params, updater);
  }
}
