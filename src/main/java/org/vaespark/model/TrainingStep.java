package org.vaespark.model;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One optimisation step of the VAE on a minibatch, on a flat parameter vector and a flat Adam state laid out as
 * DL4J lays them out for the network (so either can be written back into a {@code MultiLayerNetwork} and saved
 * with {@code ModelSerializer}). The reparameterisation noise comes from ND4J's random generator of the calling
 * thread.
 */
public interface TrainingStep {
  /**
   * Takes one Adam step on {@code x} and returns the minibatch's mean negative ELBO (nats per example) at the
   * parameters before the step.
   *
   * @param iteration the global iteration count (Adam's bias correction)
   * @param epoch the zero-based epoch
   */
  double fit(INDArray x, int iteration, int epoch);

  /**
   * As {@link #fit(INDArray, int, int)}, but a step may skip computing the loss when {@code computeLoss} is false
   * and return NaN then; the update is the same.
   */
  default double fit(INDArray x, int iteration, int epoch, boolean computeLoss) {
    return fit(x, iteration, epoch);
  }

  /** The flat parameters this step trains, {@code [1, numParams]}. */
  INDArray params();

  /** The flat Adam state (first then second moments), {@code [1, 2 * numParams]}. */
  INDArray updaterState();

  /**
   * Makes {@link #params()} and {@link #updaterState()} hold the step's current state, before they are read from
   * outside (a step may keep working copies elsewhere between steps).
   */
  default void flush() {}

  /** Takes {@link #params()} and {@link #updaterState()} as the step's state after they were written from outside. */
  default void reload() {}
}
