package org.vaespark.train;

import java.io.Serializable;

/**
 * What the workers of one averaging round return, summed: parameters and Adam state as plain float arrays (Kryo
 * moves them as bulk bytes), how many workers contributed, and their training loss. A class, not a record:
 * Kryo 4 cannot build records.
 */
final class RoundResult implements Serializable {
  private static final long serialVersionUID = 1L;
  static final RoundResult EMPTY = new RoundResult(null, null, 0, 0, 0, 0);

  final float[] params;
  final float[] updaterState;
  final int workers;
  final double lossSum;
  final long batches;
  /** The longest time any worker spent in its training steps (the round's compute on the critical path). */
  final double maxStepSeconds;

  RoundResult(
      float[] params,
      float[] updaterState,
      int workers,
      double lossSum,
      long batches,
      double maxStepSeconds) {
    this.params = params;
    this.updaterState = updaterState;
    this.workers = workers;
    this.lossSum = lossSum;
    this.batches = batches;
    this.maxStepSeconds = maxStepSeconds;
  }

  /** The sum of two results; may reuse (and so modify) this one's arrays, as Spark's aggregate allows. */
  RoundResult plus(RoundResult other) {
    if (other.workers == 0) {
      return this;
    }
    if (workers == 0) {
      return other;
    }
    add(params, other.params);
    add(updaterState, other.updaterState);
    return new RoundResult(
        params,
        updaterState,
        workers + other.workers,
        lossSum + other.lossSum,
        batches + other.batches,
        Math.max(maxStepSeconds, other.maxStepSeconds));
  }

  private static void add(float[] into, float[] values) {
    for (int i = 0; i < into.length; i++) {
      into[i] += values[i];
    }
  }
}
