package org.vaespark.train;

import java.io.IOException;
import java.io.Serializable;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.util.Iterator;
import java.util.List;
import java.util.UUID;
import java.util.stream.IntStream;
import org.apache.spark.HashPartitioner;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.RDDInfo;
import org.apache.spark.storage.StorageLevel;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vaespark.config.Settings;
import org.vaespark.dataset.MnistDataset;
import org.vaespark.dataset.PixelBlock;
import org.vaespark.error.SettingsException;
import org.vaespark.error.TrainingDivergedException;
import scala.Tuple2;
import scala.collection.JavaConverters;
import scala.reflect.ClassTag;
import scala.reflect.ClassTag$;
import scala.runtime.AbstractFunction2;

/**
 * Synchronous parameter averaging on Spark. The train split is read once into one cached {@link PixelBlock} per
 * worker (no re-split or shuffle per round). Each epoch is one Spark job, a barrier stage whose tasks (one per
 * worker, all running at once) take every round of the epoch: {@code averagingFrequency} steps on the worker's own
 * next minibatches (a new order every epoch), then an exchange with the driver's {@link AveragingServer}, which
 * averages the workers' parameters and Adam state (with an optional outer momentum) into the driver's network and
 * sends the mean back. A round thus costs two transfers of the state per worker and no Spark job; the training
 * steps stay alive on the executors ({@link WorkerSteps}).
 *
 * <p>Every random stream is a function of the seed and the position in training (epoch, iteration, partition),
 * so a retried stage, and a run resumed from a checkpoint, redo exactly the same work.
 */
final class AveragingTrainer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(AveragingTrainer.class);
  private final JavaSparkContext sc;
  private final JavaRDD<PixelBlock> blocks;
  private final Plan plan;
  private final int maxBatches;
  private final int workers;
  private final AveragingServer server;

  /** What every worker needs: the training settings and where the averaging server is; shipped in each epoch's tasks. */
  static final class Plan implements Serializable {
    private static final long serialVersionUID = 1L;
    final String configuration;
    final long numParams;
    final int batchSize;
    final int frequency;
    final long seed;
    final boolean fused;
    final int threads;
    /** Identifies the training run to the executors' {@link WorkerSteps}. */
    final String runId;

    final String host;
    final int port;
    final byte[] token;

    Plan(
        String configuration,
        long numParams,
        int batchSize,
        int frequency,
        long seed,
        boolean fused,
        int threads,
        String host,
        int port,
        byte[] token) {
      this.configuration = configuration;
      this.numParams = numParams;
      this.batchSize = batchSize;
      this.frequency = frequency;
      this.seed = seed;
      this.fused = fused;
      this.threads = threads;
      this.runId = UUID.randomUUID().toString();
      this.host = host;
      this.port = port;
      this.token = token.clone();
    }

    /** The same plan with the server's address filled in. */
    Plan at(String host, int port, byte[] token) {
      return new Plan(
          configuration, numParams, batchSize, frequency, seed, fused, threads, host, port, token);
    }
  }

  /** A trainer over the train rows of {@code dataset}, split between {@code workers} workers. */
  static AveragingTrainer of(
      SparkSession spark,
      TrainingData dataset,
      Settings.TrainingSettings training,
      MultiLayerNetwork network,
      int workers) {
    JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    int threads = training.nativeThreads() > 0
        ? training.nativeThreads()
        : Integer.parseInt(sc.getConf().get("spark.task.cpus", "1"));
    Plan plan = new Plan(
        network.getLayerWiseConfigurations().toJson(),
        network.numParams(),
        training.batchSizePerWorker(),
        training.averagingFrequency(),
        training.seed(),
        Settings.TrainingSettings.FUSED.equals(training.step()),
        threads,
        null,
        training.averagingPort(),
        new byte[0]);
    return new AveragingTrainer(
        sc, plan, blocks(spark, dataset, workers), training.outerMomentum());
  }

  /**
   * A trainer over given blocks, one per worker (cached by the caller or not); starts the averaging server on the
   * driver, at the plan's port (0: any free port).
   */
  AveragingTrainer(
      JavaSparkContext sc, Plan plan, JavaRDD<PixelBlock> blocks, double outerMomentum) {
    this.sc = sc;
    this.blocks = blocks;
    this.workers = blocks.getNumPartitions();
    BarrierStages.requireSupported(sc, workers);
    int batchSize = plan.batchSize;
    this.maxBatches = blocks
        .mapPartitions(chunks -> {
          int batches = 0;
          while (chunks.hasNext()) {
            batches += chunks.next().batches(batchSize);
          }
          return List.of(batches).iterator();
        })
        .collect()
        .stream()
        .max(Integer::compare)
        .orElse(0);
    logStorage(sc, blocks);
    byte[] token = new byte[AveragingProtocol.TOKEN_BYTES];
    new SecureRandom().nextBytes(token);
    String host = sc.getConf().get("spark.driver.host", "127.0.0.1");
    String bindHost = sc.getConf().get("spark.driver.bindAddress", host);
    try {
      this.server = new AveragingServer(
          new InetSocketAddress(bindHost, plan.port),
          token,
          workers,
          plan.frequency,
          plan.numParams,
          outerMomentum);
    } catch (IOException e) {
      throw new SettingsException(
          "cannot open the averaging server on the driver at " + bindHost + ":" + plan.port
              + " (" + e.getMessage()
              + "): set vae.training.averaging-port to a free port executors can reach, or 0 "
              + "for any free port",
          e);
    }
    this.plan = plan.at(host, server.port(), token);
  }

  private static final ClassTag<Integer> INTS = ClassTag$.MODULE$.apply(Integer.class);

  /** One worker's task of an epoch, as the Scala function a barrier stage takes. */
  private static final class EpochTask
      extends AbstractFunction2<
          Object, scala.collection.Iterator<PixelBlock>, scala.collection.Iterator<Integer>>
      implements Serializable {
    private static final long serialVersionUID = 1L;
    private final Plan plan;
    private final int epoch;
    private final int attempt;

    EpochTask(Plan plan, int epoch, int attempt) {
      this.plan = plan;
      this.epoch = epoch;
      this.attempt = attempt;
    }

    @Override
    public scala.collection.Iterator<Integer> apply(
        Object partition, scala.collection.Iterator<PixelBlock> blocks) {
      Iterator<Integer> steps = RoundWorker.work(
          (Integer) partition,
          JavaConverters.asJavaIteratorConverter(blocks).asJava(),
          plan,
          epoch,
          attempt);
      return JavaConverters.asScalaIteratorConverter(steps).asScala();
    }
  }

  /**
   * Pixel bytes per cached chunk of a worker's share: small enough to hold one at a time, large to stream. Spark's
   * memory store checks its unroll memory only every 16 values it caches ({@code
   * spark.storage.unrollMemoryCheckPeriod}), so a task may hold 16 chunks before it learns they do not fit: at 64
   * MB that ran a 2g heap out of memory with 10 million images (docs/performance.md, "Scale"); at 8 MB it is 128 MB.
   */
  static final long CHUNK_BYTES = 8L << 20;

  /**
   * The train split as each worker's share, in chunks of up to {@link #CHUNK_BYTES} of pixels: examples go to a
   * worker and into an order by a mix of their id (so a chunk is a random subset even when ids follow the labels),
   * through Spark's sort, which spills to disk; the chunks are cached in memory where they fit and on disk where
   * they do not, so a round never reads the Parquet shards again and no task holds more than one chunk.
   */
  static JavaRDD<PixelBlock> blocks(SparkSession spark, TrainingData dataset, int workers) {
    return blocks(spark, dataset, workers, CHUNK_BYTES);
  }

  /** As {@link #blocks(SparkSession, TrainingData, int)} with chunks of at most {@code chunkBytes}. */
  static JavaRDD<PixelBlock> blocks(
      SparkSession spark, TrainingData dataset, int workers, long chunkBytes) {
    return dataset
        .read(spark, MnistDataset.TRAIN)
        .select("id", "pixels")
        .javaRDD()
        .mapToPair(row -> new Tuple2<>(mix(row.getLong(0)), (byte[]) row.get(1)))
        .repartitionAndSortWithinPartitions(new HashPartitioner(workers))
        .mapPartitions(
            (Iterator<Tuple2<Long, byte[]>> rows) -> PixelBlock.chunks(
                new Iterator<>() {
                  @Override
                  public boolean hasNext() {
                    return rows.hasNext();
                  }

                  @Override
                  public byte[] next() {
                    return rows.next()._2();
                  }
                },
                CHUNK_BYTES),
            true)
        .setName("train examples, each worker's share in chunks")
        .persist(StorageLevel.MEMORY_AND_DISK());
  }

  /** As {@link #blocks(SparkSession, TrainingData, int, long)} over a published dataset's train split. */
  static JavaRDD<PixelBlock> blocks(
      SparkSession spark, MnistDataset dataset, int workers, long chunkBytes) {
    return blocks(spark, TrainingData.of(spark, dataset), workers, chunkBytes);
  }

  /** SplitMix64's finaliser: a bijection of the id, so the order it gives is a fixed pseudo-random one. */
  static long mix(long id) {
    long z = id;
    z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
    z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
    return z ^ (z >>> 31);
  }

  /** Where Spark keeps the workers' shares: all in memory, or partly spilled to disk (then read every epoch). */
  private static void logStorage(JavaSparkContext sc, JavaRDD<PixelBlock> blocks) {
    for (RDDInfo info : sc.sc().getRDDStorageInfo()) {
      if (info.id() == blocks.id()) {
        long mb = 1 << 20;
        LOG.info(
            info.diskSize() > 0
                ? "Training data: {} MB of the workers' shares in memory, {} MB spilled to disk (read again every "
                    + "epoch; more executor memory keeps it in memory)"
                : "Training data: {} MB of the workers' shares in memory{}",
            info.memSize() / mb,
            info.diskSize() > 0 ? String.valueOf(info.diskSize() / mb) : "");
      }
    }
  }

  /** Minibatches of the worker with the most. */
  int maxBatches() {
    return maxBatches;
  }

  /** Averaging rounds in one epoch: enough for the worker with the most minibatches. */
  int roundsPerEpoch() {
    return (maxBatches + plan.frequency - 1) / plan.frequency;
  }

  /**
   * Runs the epoch's Spark job; a failed job (a task or its executor lost: Spark cannot retry a barrier result
   * stage by itself) is run again, up to {@code spark.stage.maxConsecutiveAttempts} times. Each run is a new
   * attempt for the averaging server, whose tasks go on from the last completed round.
   */
  private void runEpochJob(int epoch) {
    int attempts = Math.max(1, sc.getConf().getInt("spark.stage.maxConsecutiveAttempts", 4));
    for (int attempt = 0; ; attempt++) {
      try {
        JavaRDD.fromRDD(
                blocks
                    .rdd()
                    .barrier()
                    .mapPartitionsWithIndex(new EpochTask(plan, epoch, attempt), true, INTS),
                INTS)
            .collect();
        return;
      } catch (Exception e) {
        // A SparkException (checked, though Scala throws it undeclared) wraps the tasks' failure.
        RuntimeException explained = BarrierStages.explain(e, workers);
        if (server.diverged()
            || explained instanceof SettingsException
            || attempt + 1 >= attempts) {
          throw explained;
        }
        LOG.warn(
            "Epoch {}: its training job failed ({}); running it again from the last completed round "
                + "(attempt {} of {})",
            epoch,
            firstLine(e),
            attempt + 2,
            attempts);
      }
    }
  }

  private static String firstLine(Throwable e) {
    return String.valueOf(e.getMessage())
        .lines()
        .filter(l -> !l.isBlank())
        .findFirst()
        .orElse(e.toString());
  }

  /** Where one epoch's time went: all its rounds, the workers' steps on the critical path, the driver's averaging. */
  record EpochTimes(int rounds, double seconds, double stepSeconds, double averagingSeconds) {
    /** Round overhead: the epoch's Spark job, transfers to and from the driver, waiting. */
    double overheadSeconds() {
      return seconds - stepSeconds - averagingSeconds;
    }
  }

  /** Trains one epoch (1-based) on {@code network} in place. */
  EpochTimes fitEpoch(MultiLayerNetwork network, int epoch) {
    MultiLayerConfiguration conf = network.getLayerWiseConfigurations();
    int firstIteration = conf.getIterationCount();
    long t0 = System.nanoTime();
    server.begin(network, epoch, roundsPerEpoch(), firstIteration);
    AveragingServer.Outcome outcome;
    try {
      runEpochJob(epoch);
    } catch (RuntimeException e) {
      outcome = server.end();
      if (outcome.divergence() != null) {
        throw new TrainingDivergedException(outcome.divergence(), e);
      }
      throw e;
    }
    outcome = server.end();
    if (outcome.divergence() != null) {
      throw new TrainingDivergedException(outcome.divergence());
    }
    if (outcome.completedRounds() != roundsPerEpoch()) {
      throw new IllegalStateException("epoch " + epoch + " ended after " + outcome.completedRounds()
          + " of " + roundsPerEpoch() + " averaging rounds");
    }
    conf.setIterationCount(firstIteration + maxBatches);
    network.setScore(outcome.lastLoss());
    return new EpochTimes(
        roundsPerEpoch(),
        (System.nanoTime() - t0) / 1e9,
        outcome.stepSeconds(),
        outcome.averagingSeconds());
  }

  /**
   * The train split as [n, 784] minibatches in id order, cut from the cached blocks (no second read of the
   * Parquet shards, no second cached copy), for the per-epoch ELBO.
   */
  JavaRDD<INDArray> evaluationBatches(int batchSize) {
    return blocks.flatMap(block -> {
      int[] order = block.identity();
      return IntStream.range(0, block.batches(batchSize))
          .mapToObj(b -> block.batch(order, b, batchSize))
          .iterator();
    });
  }

  int workers() {
    return workers;
  }

  Plan plan() {
    return plan;
  }

  @Override
  public void close() {
    server.close();
    blocks.unpersist(false);
  }
}
