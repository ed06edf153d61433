package org.vaespark.train;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.Iterator;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.vaespark.dataset.PixelBlock;
import org.vaespark.model.TrainingStep;
import org.vaespark.runtime.Devices;
import org.vaespark.runtime.NativeArrays;

/**
 * The executor side of an epoch: one task per worker, running every round of the epoch on the worker's own next
 * minibatches. It receives the model state from the driver's {@link AveragingServer} into its training step's own
 * arrays, and after each round's steps sends the step's state and receives the mean, so the step (network,
 * buffers) lives through the epoch and across epochs ({@link WorkerSteps}).
 */
final class RoundWorker {
  /** Tests only: fails the first attempt of the task that trains this (epoch, round, partition), if set. */
  static volatile int[] failFirstAttemptAt;

  private RoundWorker() {}

  /** Where a worker is in training: the epoch (1-based), its first round's iteration, its minibatches. */
  record Position(int epoch, int firstIteration, WorkerBatches batches) {}

  /** Runs this task's share of an epoch; returns the number of steps it took. */
  static Iterator<Integer> work(
      int partition,
      Iterator<PixelBlock> blocks,
      AveragingTrainer.Plan plan,
      int epoch,
      int attempt) {
    Devices.prepareTask(plan.threads);
    TrainingStep step = WorkerSteps.borrow(plan);
    try (SocketChannel channel = SocketChannel.open(new InetSocketAddress(plan.host, plan.port))) {
      channel.socket().setTcpNoDelay(true);
      int steps = rounds(channel, step, blocks, partition, plan, epoch, attempt);
      WorkerSteps.giveBack(plan, step);
      return List.of(steps).iterator();
    } catch (IOException e) {
      throw new UncheckedIOException(
          "training task " + partition + " lost its connection to the driver's averaging server at "
              + plan.host + ":" + plan.port,
          e);
    }
  }

  private static int rounds(
      SocketChannel channel,
      TrainingStep step,
      Iterator<PixelBlock> chunks,
      int partition,
      AveragingTrainer.Plan plan,
      int epoch,
      int attempt)
      throws IOException {
    ByteBuffer[] state = {NativeArrays.bytes(step.params()), NativeArrays.bytes(step.updaterState())
    };
    AveragingProtocol.writeFully(channel, hello(plan, epoch, attempt, partition));
    ByteBuffer welcome = AveragingProtocol.read(channel, AveragingProtocol.WELCOME_BYTES);
    if (welcome.getInt() != AveragingProtocol.OK) {
      throw new IllegalStateException("the averaging server refused training task " + partition
          + " of epoch " + epoch + " (attempt " + attempt + "): a newer attempt has replaced it");
    }
    int rounds = welcome.getInt();
    int first = welcome.getInt();
    int firstIteration = welcome.getInt();
    WorkerBatches batches = new WorkerBatches(chunks, plan.batchSize, plan.seed, epoch, partition);
    batches.skip((long) first * plan.frequency);
    Position position = new Position(epoch, firstIteration, batches);
    AveragingProtocol.readFully(channel, AveragingProtocol.rewound(state));
    step.reload();
    int steps = 0;
    for (int round = first; round < rounds; round++) {
      int[] fail = failFirstAttemptAt;
      if (fail != null
          && attempt == 0
          && fail[0] == epoch
          && fail[1] == round
          && fail[2] == partition) {
        throw new IllegalStateException(
            "injected failure of task " + partition + " in round " + round);
      }
      long t0 = System.nanoTime();
      Trained trained = trainRound(step, partition, position, round, plan);
      steps += trained.batches();
      ByteBuffer header = ByteBuffer.allocate(AveragingProtocol.CONTRIBUTE_BYTES)
          .putInt(round)
          .putInt(trained.batches())
          .putDouble(trained.loss())
          .putDouble((System.nanoTime() - t0) / 1e9)
          .flip();
      if (trained.batches() > 0) {
        step.flush();
        ByteBuffer[] out = AveragingProtocol.rewound(state);
        AveragingProtocol.writeFully(channel, header, out[0], out[1]);
      } else {
        AveragingProtocol.writeFully(channel, header);
      }
      int status =
          AveragingProtocol.read(channel, AveragingProtocol.REPLY_BYTES).getInt();
      if (status == AveragingProtocol.CONTINUE) {
        if (trained.batches() > 0) {
          AveragingProtocol.readFully(channel, AveragingProtocol.rewound(state));
          step.reload();
        }
      } else if (status == AveragingProtocol.ABORTED) {
        throw new IllegalStateException("round " + round + " of epoch " + epoch
            + " was abandoned by the driver: another training task of this attempt failed");
      } else {
        break; // DONE, or DIVERGED: the driver reports it
      }
    }
    return steps;
  }

  /** The batches a round trained and the loss of its last step (NaN if it trained none). */
  record Trained(int batches, double loss) {}

  /**
   * One worker's steps of one round: its next {@code F} minibatches (fewer at the end of its share), with noise
   * seeded by the round's first iteration and the partition, so a retried task, or a run resumed from a
   * checkpoint, redoes exactly the same work.
   */
  static Trained trainRound(
      TrainingStep step, int partition, Position position, int round, AveragingTrainer.Plan plan) {
    int first = round * plan.frequency;
    if (!position.batches().hasNext()) {
      return new Trained(0, Double.NaN);
    }
    Nd4j.getRandom().setSeed(Seeds.derive(plan.seed, position.firstIteration() + first, partition));
    double loss = Double.NaN;
    int b = 0;
    while (b < plan.frequency && position.batches().hasNext()) {
      INDArray x = position.batches().next();
      boolean last = b == plan.frequency - 1 || !position.batches().hasNext();
      // The loss of the round's last step only: it is NaN or infinite if any earlier step diverged.
      loss = step.fit(x, position.firstIteration() + first + b, position.epoch() - 1, last);
      b++;
    }
    return new Trained(b, loss);
  }

  private static ByteBuffer hello(
      AveragingTrainer.Plan plan, int epoch, int attempt, int partition) {
    return ByteBuffer.allocate(AveragingProtocol.HELLO_BYTES)
        .putInt(AveragingProtocol.MAGIC)
        .put(plan.token)
        .putInt(epoch)
        .putInt(attempt)
        .putInt(partition)
        .flip();
  }
}
