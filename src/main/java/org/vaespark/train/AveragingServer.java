package org.vaespark.train;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The driver's end of synchronous parameter averaging. Each epoch's training tasks (one per worker, all running at
 * once in a Spark barrier stage) connect here, receive the model state, and after every {@code F} steps send their
 * state and wait for the mean, which the last worker to arrive computes ({@link Averager}) into the driver's
 * network. So a round costs two transfers of the state per worker and one sum, and no Spark job.
 *
 * <p>Failures: the server keeps the state of the last completed round. When a task or its executor dies, the
 * server closes the other connections of that attempt (their tasks fail at once instead of waiting), the epoch's
 * job fails and {@link AveragingTrainer} runs it again as a new attempt, whose tasks receive the last completed
 * round's state and go on from there, with the same seeds, so the epoch ends as it would have without the failure.
 * A task of an older attempt is refused. Connections must present the run's random token.
 */
final class AveragingServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(AveragingServer.class);

  private final ServerSocketChannel server;
  private final ExecutorService threads;
  private final byte[] token;
  private final int workers;
  private final int frequency;
  private final Averager averager;
  private Epoch epoch;

  /** What the tasks of one epoch share; guarded by the server's monitor. */
  private static final class Epoch {
    final int number;
    final int rounds;
    final int firstIteration;
    int attempt = -1;
    boolean aborted;
    int completedRounds;
    final List<SocketChannel> open = new ArrayList<>();
    final Map<Integer, Contribution> round = new TreeMap<>();
    String divergence;
    double stepSeconds;
    double averagingSeconds;
    double lastLoss = Double.NaN;

    Epoch(int number, int rounds, int firstIteration) {
      this.number = number;
      this.rounds = rounds;
      this.firstIteration = firstIteration;
    }
  }

  private record Contribution(int batches, double loss, double seconds) {}

  /** What an epoch's rounds did, for the driver. */
  record Outcome(
      int completedRounds,
      double stepSeconds,
      double averagingSeconds,
      double lastLoss,
      String divergence) {}

  AveragingServer(
      InetSocketAddress bind,
      byte[] token,
      int workers,
      int frequency,
      long numParams,
      double outerMomentum)
      throws IOException {
    this.token = token.clone();
    this.workers = workers;
    this.frequency = frequency;
    this.averager = new Averager(numParams, workers, outerMomentum);
    this.server = ServerSocketChannel.open().bind(bind, 4 * workers + 16);
    this.threads = Executors.newCachedThreadPool(runnable -> {
      Thread thread = new Thread(runnable, "vae-averaging");
      thread.setDaemon(true);
      return thread;
    });
    threads.execute(this::acceptLoop);
  }

  /** The port the server listens on. */
  int port() {
    try {
      return ((InetSocketAddress) server.getLocalAddress()).getPort();
    } catch (IOException e) {
      throw new IllegalStateException("the averaging server's socket is closed", e);
    }
  }

  /** Starts an epoch of {@code rounds} rounds that averages into {@code network}. */
  synchronized void begin(MultiLayerNetwork network, int number, int rounds, int firstIteration) {
    averager.bind(network);
    epoch = new Epoch(number, rounds, firstIteration);
  }

  /** Whether the current epoch has diverged. */
  synchronized boolean diverged() {
    return epoch != null && epoch.divergence != null;
  }

  /** Ends the epoch: closes what is still open, returns what the rounds did. */
  synchronized Outcome end() {
    Epoch e = epoch;
    epoch = null;
    closeAll(e.open);
    notifyAll();
    return new Outcome(
        e.completedRounds, e.stepSeconds, e.averagingSeconds, e.lastLoss, e.divergence);
  }

  private void acceptLoop() {
    while (server.isOpen()) {
      try {
        SocketChannel channel = server.accept();
        threads.execute(() -> serve(channel));
      } catch (ClosedChannelException e) {
        return;
      } catch (IOException e) {
        LOG.warn("Averaging server: accept failed: {}", e.toString());
      }
    }
  }

  /** One task's connection, from its HELLO to the end of its epoch. */
  private void serve(SocketChannel channel) {
    int attempt = -1;
    try (channel) {
      channel.socket().setTcpNoDelay(true);
      ByteBuffer hello = AveragingProtocol.read(channel, AveragingProtocol.HELLO_BYTES);
      if (hello.getInt() != AveragingProtocol.MAGIC || !tokenMatches(hello)) {
        LOG.warn(
            "Averaging server: refused a connection from {} without this run's token",
            channel.getRemoteAddress());
        return;
      }
      int epochNumber = hello.getInt();
      attempt = hello.getInt();
      int partition = hello.getInt();
      int first = register(channel, epochNumber, attempt, partition);
      if (first < 0) {
        AveragingProtocol.writeFully(channel, welcome(AveragingProtocol.STALE, 0, 0, 0));
        return;
      }
      Epoch e = current();
      ByteBuffer[] state = averager.state();
      AveragingProtocol.writeFully(
          channel,
          welcome(AveragingProtocol.OK, e.rounds, first, e.firstIteration),
          state[0],
          state[1]);
      rounds(channel, e, attempt, partition);
    } catch (IOException | RuntimeException e) {
      abort(attempt, e);
    }
  }

  private void rounds(SocketChannel channel, Epoch e, int attempt, int partition)
      throws IOException {
    while (true) {
      ByteBuffer header = AveragingProtocol.read(channel, AveragingProtocol.CONTRIBUTE_BYTES);
      int round = header.getInt();
      int batches = header.getInt();
      Contribution contribution = new Contribution(batches, header.getDouble(), header.getDouble());
      if (batches > 0) {
        AveragingProtocol.readFully(channel, averager.slot(partition));
      }
      int status = contribute(e, attempt, partition, round, contribution);
      ByteBuffer reply =
          ByteBuffer.allocate(AveragingProtocol.REPLY_BYTES).putInt(status).flip();
      if (status == AveragingProtocol.CONTINUE && batches > 0) {
        ByteBuffer[] state = averager.state();
        AveragingProtocol.writeFully(channel, reply, state[0], state[1]);
      } else {
        AveragingProtocol.writeFully(channel, reply);
      }
      if (status != AveragingProtocol.CONTINUE) {
        return;
      }
    }
  }

  private synchronized Epoch current() {
    return epoch;
  }

  /**
   * Registers a task of the current epoch and returns the round it starts at, or -1 if it belongs to another
   * epoch or an older attempt. A newer attempt replaces the current one and restarts its round.
   */
  private synchronized int register(
      SocketChannel channel, int epochNumber, int attempt, int partition) {
    Epoch e = epoch;
    if (e == null
        || e.number != epochNumber
        || attempt < e.attempt
        || partition < 0
        || partition >= workers) {
      return -1;
    }
    if (attempt > e.attempt) {
      closeAll(e.open);
      e.attempt = attempt;
      e.aborted = false;
      e.round.clear();
      if (attempt > 0) {
        LOG.info(
            "Epoch {}: attempt {} resumes from round {} of {}",
            e.number,
            attempt,
            e.completedRounds,
            e.rounds);
      }
    }
    e.open.add(channel);
    return e.completedRounds;
  }

  /**
   * Records a worker's contribution to {@code round} and waits until the round is averaged; the last worker to
   * arrive averages. Returns the reply's status.
   */
  private synchronized int contribute(
      Epoch e, int attempt, int partition, int round, Contribution c) {
    if (e != epoch || attempt != e.attempt || e.aborted) {
      return AveragingProtocol.ABORTED;
    }
    if (round != e.completedRounds || e.round.containsKey(partition)) {
      throw new IllegalStateException(
          "worker " + partition + " sent round " + round + " while round " + e.completedRounds
              + " is open" + (e.round.containsKey(partition) ? " twice" : ""));
    }
    e.round.put(partition, c);
    if (e.round.size() == workers) {
      finishRound(e);
      notifyAll();
    }
    while (e == epoch
        && attempt == e.attempt
        && !e.aborted
        && e.completedRounds == round
        && e.divergence == null) {
      try {
        wait();
      } catch (InterruptedException interrupted) {
        Thread.currentThread().interrupt();
        return AveragingProtocol.ABORTED;
      }
    }
    if (e != epoch || attempt != e.attempt || e.aborted) {
      return AveragingProtocol.ABORTED;
    }
    if (e.divergence != null) {
      return AveragingProtocol.DIVERGED;
    }
    return e.completedRounds == e.rounds ? AveragingProtocol.DONE : AveragingProtocol.CONTINUE;
  }

  /** Averages the round's contributions into the network (or records a divergence) and opens the next round. */
  private void finishRound(Epoch e) {
    List<Integer> contributors = new ArrayList<>();
    double lossSum = 0;
    double slowest = 0;
    for (Map.Entry<Integer, Contribution> entry : e.round.entrySet()) {
      Contribution c = entry.getValue();
      if (c.batches() > 0) {
        contributors.add(entry.getKey());
        lossSum += c.loss();
        slowest = Math.max(slowest, c.seconds());
        if (!Double.isFinite(c.loss()) && e.divergence == null) {
          int lastIteration = e.firstIteration + e.completedRounds * frequency + c.batches() - 1;
          e.divergence = "the VAE loss became " + c.loss() + " at iteration " + lastIteration
              + " (epoch " + e.number + ")";
        }
      }
    }
    e.round.clear();
    if (e.divergence != null) {
      return;
    }
    if (!contributors.isEmpty()) {
      long t0 = System.nanoTime();
      averager.average(contributors);
      e.averagingSeconds += (System.nanoTime() - t0) / 1e9;
      e.stepSeconds += slowest;
      e.lastLoss = lossSum / contributors.size();
    }
    e.completedRounds++;
  }

  /** Ends the current attempt after a failure in one of its connections: its other tasks fail at once. */
  private synchronized void abort(int attempt, Exception cause) {
    Epoch e = epoch;
    if (e == null || attempt != e.attempt || e.aborted) {
      return;
    }
    LOG.warn(
        "Epoch {}, attempt {}: a training task's connection failed ({}); the attempt is abandoned at round {}",
        e.number,
        attempt,
        cause.toString(),
        e.completedRounds);
    e.aborted = true;
    closeAll(e.open);
    notifyAll();
  }

  private boolean tokenMatches(ByteBuffer hello) {
    byte[] presented = new byte[AveragingProtocol.TOKEN_BYTES];
    hello.get(presented);
    return MessageDigest.isEqual(presented, token);
  }

  private static ByteBuffer welcome(int status, int rounds, int first, int firstIteration) {
    return ByteBuffer.allocate(AveragingProtocol.WELCOME_BYTES)
        .putInt(status)
        .putInt(rounds)
        .putInt(first)
        .putInt(firstIteration)
        .flip();
  }

  private static void closeAll(List<SocketChannel> channels) {
    for (SocketChannel channel : channels) {
      try {
        channel.close();
      } catch (IOException ignored) {
        // Closing is all that is wanted.
      }
    }
    channels.clear();
  }

  @Override
  public void close() {
    try {
      server.close();
    } catch (IOException e) {
      LOG.debug("Averaging server: close failed", e);
    }
    synchronized (this) {
      if (epoch != null) {
        closeAll(epoch.open);
      }
      notifyAll();
    }
    threads.shutdownNow();
  }
}
