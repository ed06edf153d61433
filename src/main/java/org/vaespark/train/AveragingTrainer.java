package org.vaespark.train;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.HashPartitioner;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.vaespark.config.Settings;
import org.vaespark.dataset.MnistDataset;
import org.vaespark.dataset.PixelBlock;
import scala.Tuple2;

/**
 * Synchronous parameter averaging on plain Spark operations. The train split is read once into one cached
 * {@link PixelBlock} per worker (no re-split or shuffle per round). Each averaging round is one Spark job: the
 * driver broadcasts the parameters and Adam state as float arrays, every worker takes {@code averagingFrequency}
 * steps on its own next minibatches (a new order every epoch), and {@code treeAggregate} sums what the workers
 * return, so the driver receives one sum however many executors there are; the driver then takes the mean (with
 * an optional outer momentum) and destroys the round's broadcast.
 *
 * <p>Every random stream is a function of the seed and the position in training (epoch, iteration, partition),
 * so a retried task, and a run resumed from a checkpoint, redo exactly the same work.
 */
final class AveragingTrainer implements AutoCloseable {
  private final JavaSparkContext sc;
  private final JavaRDD<PixelBlock> blocks;
  private final Plan plan;
  private final int maxBatches;
  private final int workers;
  private final double outerMomentum;
  private float[] velocity;

  /** What every worker needs besides the round's state; serialized into each round's tasks. */
  static final class Plan implements Serializable {
    private static final long serialVersionUID = 1L;
    final String configuration;
    final int batchSize;
    final int frequency;
    final long seed;
    final boolean fused;
    final int threads;

    Plan(
        String configuration, int batchSize, int frequency, long seed, boolean fused, int threads) {
      this.configuration = configuration;
      this.batchSize = batchSize;
      this.frequency = frequency;
      this.seed = seed;
      this.fused = fused;
      this.threads = threads;
    }
  }

  /** The parameters and Adam state a round starts from, and its position in training; broadcast. */
  static final class RoundState implements Serializable {
    private static final long serialVersionUID = 1L;
    final float[] params;
    final float[] updaterState;
    final int iteration;
    final int epoch;
    final int round;

    RoundState(float[] params, float[] updaterState, int iteration, int epoch, int round) {
      this.params = params;
      this.updaterState = updaterState;
      this.iteration = iteration;
      this.epoch = epoch;
      this.round = round;
    }
  }

  /** A trainer over the dataset's train split, split between {@code workers} workers. */
  static AveragingTrainer of(
      SparkSession spark,
      MnistDataset dataset,
      Settings.TrainingSettings training,
      MultiLayerConfiguration conf,
      int workers) {
    JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    int threads = training.nativeThreads() > 0
        ? training.nativeThreads()
        : Integer.parseInt(sc.getConf().get("spark.task.cpus", "1"));
    Plan plan = new Plan(
        conf.toJson(),
        training.batchSizePerWorker(),
        training.averagingFrequency(),
        training.seed(),
        Settings.TrainingSettings.FUSED.equals(training.step()),
        threads);
    return new AveragingTrainer(
        sc, plan, blocks(spark, dataset, workers), training.outerMomentum());
  }

  /** A trainer over given blocks, one per worker (cached by the caller or not). */
  AveragingTrainer(
      JavaSparkContext sc, Plan plan, JavaRDD<PixelBlock> blocks, double outerMomentum) {
    this.sc = sc;
    this.plan = plan;
    this.blocks = blocks;
    this.workers = blocks.getNumPartitions();
    this.outerMomentum = outerMomentum;
    int batchSize = plan.batchSize;
    this.maxBatches = blocks.map(block -> block.batches(batchSize)).collect().stream()
        .max(Integer::compare)
        .orElse(0);
  }

  /** The train split as one cached block per worker: examples go to worker {@code id mod workers}, in id order. */
  static JavaRDD<PixelBlock> blocks(SparkSession spark, MnistDataset dataset, int workers) {
    return dataset
        .read(spark, MnistDataset.TRAIN)
        .select("id", "pixels")
        .javaRDD()
        .mapToPair(row -> new Tuple2<>(row.getLong(0), (byte[]) row.get(1)))
        .partitionBy(new HashPartitioner(workers))
        .mapPartitions(
            (Iterator<Tuple2<Long, byte[]>> rows) -> {
              List<Tuple2<Long, byte[]>> sorted = new ArrayList<>();
              rows.forEachRemaining(sorted::add);
              sorted.sort(Comparator.comparing(Tuple2::_1));
              return List.of(new PixelBlock(sorted.stream().map(Tuple2::_2).toList()))
                  .iterator();
            },
            true)
        .setName("train examples, one block per worker")
        .persist(StorageLevel.MEMORY_ONLY());
  }

  /** Averaging rounds in one epoch: enough for the worker with the most minibatches. */
  int roundsPerEpoch() {
    return (maxBatches + plan.frequency - 1) / plan.frequency;
  }

  /** Where one epoch's time went: all its rounds, the workers' steps on the critical path, the driver's averaging. */
  record EpochTimes(int rounds, double seconds, double stepSeconds, double averagingSeconds) {
    /** Round overhead: broadcast, task launch, result transfer and aggregation. */
    double overheadSeconds() {
      return seconds - stepSeconds - averagingSeconds;
    }
  }

  /** Trains one epoch (1-based) on {@code network} in place. */
  EpochTimes fitEpoch(MultiLayerNetwork network, int epoch) {
    long t0 = System.nanoTime();
    double steps = 0;
    double averaging = 0;
    for (int round = 0; round < roundsPerEpoch(); round++) {
      RoundResult sum = train(network, epoch, round);
      long t = System.nanoTime();
      average(network, sum, round);
      averaging += (System.nanoTime() - t) / 1e9;
      steps += sum.maxStepSeconds;
    }
    return new EpochTimes(roundsPerEpoch(), (System.nanoTime() - t0) / 1e9, steps, averaging);
  }

  /** One averaging round: broadcast, train on every worker, sum, average into {@code network}. */
  RoundResult round(MultiLayerNetwork network, int epoch, int round) {
    RoundResult sum = train(network, epoch, round);
    average(network, sum, round);
    return sum;
  }

  /** The workers' share of a round, summed: every worker trains from the broadcast parameters and Adam state. */
  private RoundResult train(MultiLayerNetwork network, int epoch, int round) {
    Broadcast<RoundState> state = sc.broadcast(new RoundState(
        network.params().toFloatVector(),
        network.getUpdater().getStateViewArray().toFloatVector(),
        network.getLayerWiseConfigurations().getIterationCount(),
        epoch,
        round));
    Plan plan = this.plan;
    RoundResult sum;
    try {
      sum = blocks
          .mapPartitionsWithIndex(
              (partition, it) -> RoundWorker.work(partition, it, state.value(), plan), true)
          .treeAggregate(RoundResult.EMPTY, RoundResult::plus, RoundResult::plus);
    } finally {
      state.destroy();
    }
    return sum;
  }

  /** The mean of the workers' parameters (with the outer momentum, if set) and Adam state, into the network. */
  private void average(MultiLayerNetwork network, RoundResult sum, int round) {
    if (sum.workers == 0) {
      return;
    }
    INDArray params = network.params();
    float[] averaged = mean(sum.params, sum.workers);
    if (outerMomentum > 0) {
      applyOuterMomentum(params.toFloatVector(), averaged);
    }
    params.assign(Nd4j.create(averaged, params.shape(), DataType.FLOAT).castTo(params.dataType()));
    INDArray updaterState = network.getUpdater().getStateViewArray();
    updaterState.assign(
        Nd4j.create(mean(sum.updaterState, sum.workers), updaterState.shape(), DataType.FLOAT)
            .castTo(updaterState.dataType()));
    MultiLayerConfiguration conf = network.getLayerWiseConfigurations();
    conf.setIterationCount(
        conf.getIterationCount() + Math.min(plan.frequency, maxBatches - round * plan.frequency));
    network.setScore(sum.lossSum / sum.batches);
  }

  /** SlowMo's outer momentum on the averaged update: averaged := previous + (velocity := beta v + update). */
  private void applyOuterMomentum(float[] previous, float[] averaged) {
    if (velocity == null) {
      velocity = new float[averaged.length];
    }
    float beta = (float) outerMomentum;
    for (int i = 0; i < averaged.length; i++) {
      velocity[i] = beta * velocity[i] + (averaged[i] - previous[i]);
      averaged[i] = previous[i] + velocity[i];
    }
  }

  private static float[] mean(float[] sums, int contributors) {
    float[] out = new float[sums.length];
    for (int i = 0; i < sums.length; i++) {
      out[i] = sums[i] / contributors;
    }
    return out;
  }

  /**
   * The train split as [n, 784] minibatches in id order, cut from the cached blocks (no second read of the
   * Parquet shards, no second cached copy), for the per-epoch ELBO.
   */
  JavaRDD<INDArray> evaluationBatches(int batchSize) {
    return blocks.flatMap(block -> {
      int[] order = block.identity();
      List<INDArray> batches = new ArrayList<>();
      for (int b = 0; b < block.batches(batchSize); b++) {
        batches.add(block.batch(order, b, batchSize));
      }
      return batches.iterator();
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
    blocks.unpersist(false);
  }
}
