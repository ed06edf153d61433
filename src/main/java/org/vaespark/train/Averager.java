package org.vaespark.train;

import java.nio.ByteBuffer;
import java.util.List;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.vaespark.runtime.NativeArrays;

/**
 * The driver's side of a round's arithmetic: one slot per worker that its state (parameters and Adam state, 3P
 * floats) is read into, and their mean, summed in worker order (so the result does not depend on which worker
 * finished first), written into the network's own parameter and updater arrays, with SlowMo's outer momentum on
 * the parameters if set.
 */
final class Averager {
  private final long numParams;
  private final INDArray[] slots;
  private final INDArray mean;
  private final double outerMomentum;
  private INDArray velocity;
  private INDArray params;
  private INDArray updaterState;

  Averager(long numParams, int workers, double outerMomentum) {
    this.numParams = numParams;
    this.outerMomentum = outerMomentum;
    slots = new INDArray[workers];
    for (int w = 0; w < workers; w++) {
      slots[w] = Nd4j.createUninitialized(DataType.FLOAT, 1, 3 * numParams);
    }
    mean = Nd4j.createUninitialized(DataType.FLOAT, 1, 3 * numParams);
  }

  /** Averages into {@code network} from now on. */
  void bind(MultiLayerNetwork network) {
    INDArray p = network.params();
    INDArray u = network.getUpdater().getStateViewArray();
    if (p.length() != numParams || u.length() != 2 * numParams) {
      throw new IllegalArgumentException("the network has " + p.length() + " parameters and "
          + u.length() + " updater values, expected " + numParams + " and " + 2 * numParams);
    }
    params = p;
    updaterState = u;
  }

  /** The network's state as it goes on the wire: parameters, then Adam state. */
  ByteBuffer[] state() {
    return new ByteBuffer[] {NativeArrays.bytes(params), NativeArrays.bytes(updaterState)};
  }

  /** Where worker {@code worker}'s state is read to. */
  ByteBuffer slot(int worker) {
    return NativeArrays.bytes(slots[worker]);
  }

  /** The mean of the given workers' slots (in this order) into the network. */
  void average(List<Integer> workers) {
    mean.assign(slots[workers.get(0)]);
    for (int i = 1; i < workers.size(); i++) {
      mean.addi(slots[workers.get(i)]);
    }
    mean.divi(workers.size());
    INDArray meanParams = mean.get(NDArrayIndex.point(0), NDArrayIndex.interval(0, numParams));
    INDArray meanState =
        mean.get(NDArrayIndex.point(0), NDArrayIndex.interval(numParams, 3 * numParams));
    if (outerMomentum > 0) {
      // SlowMo: params := previous + (velocity := beta velocity + (mean - previous)).
      if (velocity == null) {
        velocity = Nd4j.zeros(DataType.FLOAT, 1, numParams);
      }
      velocity.muli(outerMomentum).addi(meanParams.reshape(1, numParams)).subi(params);
      params.addi(velocity);
    } else {
      params.assign(meanParams.reshape(1, numParams));
    }
    updaterState.assign(meanState.reshape(1, 2 * numParams));
  }
}
