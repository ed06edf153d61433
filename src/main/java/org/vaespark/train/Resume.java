package org.vaespark.train;

import java.util.List;
import java.util.Optional;
import org.apache.hadoop.fs.Path;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vaespark.config.Settings;
import org.vaespark.error.InputFileException;
import org.vaespark.error.SettingsException;
import org.vaespark.job.JobContext;
import org.vaespark.model.EpochMetrics;
import org.vaespark.model.VaeNetworks;

/**
 * Resume and checkpointing: where training starts (the newest compatible checkpoint when resuming is on, else a
 * new network), the checkpoint written after every {@code vae.training.checkpoint.interval} epochs, and what a
 * failed run leaves to resume from.
 */
final class Resume {
  private static final Logger LOG = LoggerFactory.getLogger(Resume.class);

  private final JobContext context;
  private final Settings.TrainingSettings training;
  private final Checkpoints checkpoints;
  private final TrainingData data;

  Resume(JobContext context, TrainingData data) {
    this.context = context;
    this.training = context.settings().training();
    this.checkpoints = new Checkpoints(
        context.storage(),
        new Path(context.settings().paths().checkpoints()),
        training.checkpoint().keep());
    this.data = data;
  }

  /** Where training starts: the network, the epochs already done, their metrics and the seconds they took. */
  record Start(MultiLayerNetwork network, int epoch, List<EpochMetrics> history, double seconds) {}

  Start start() {
    if (!training.checkpoint().resume()) {
      checkpoints.clear();
      return fresh();
    }
    Optional<Checkpoints.Checkpoint> latest = checkpoints.latest();
    return latest.isEmpty() ? fresh() : from(latest.get());
  }

  /**
   * Writes a checkpoint if {@code epoch} is at the interval, as soon as the epoch's training ends: before its
   * evaluation, which can run out of memory, so a run that dies there resumes after the trained epoch. Its
   * {@code history} holds the metrics of the epochs before; {@link #afterEvaluation} adds this epoch's.
   *
   * @param seconds the training time of every epoch so far, this one included
   */
  void afterTraining(
      MultiLayerNetwork network, int epoch, List<EpochMetrics> history, double seconds) {
    if (!atInterval(epoch)) {
      return;
    }
    Path written = checkpoints.write(network, state(network, epoch, history, seconds));
    LOG.info("Checkpoint of epoch {} written to {}", epoch, written);
  }

  /** Records the evaluated epoch's metrics in its checkpoint. */
  void afterEvaluation(
      MultiLayerNetwork network, int epoch, List<EpochMetrics> history, double seconds) {
    if (atInterval(epoch)) {
      checkpoints.updateState(state(network, epoch, history, seconds));
    }
  }

  /** Drops epoch {@code epoch}'s checkpoint: its evaluation found the parameters diverged. */
  void discard(int epoch) {
    if (atInterval(epoch)) {
      checkpoints.discard(epoch);
    }
  }

  private boolean atInterval(int epoch) {
    int interval = training.checkpoint().interval();
    return interval != 0 && epoch % interval == 0;
  }

  private TrainingState state(
      MultiLayerNetwork network, int epoch, List<EpochMetrics> history, double seconds) {
    return new TrainingState(
        epoch,
        network.getLayerWiseConfigurations().getIterationCount(),
        training.seed(),
        List.copyOf(history),
        seconds,
        data.fingerprint(),
        context.settings().model(),
        context.now().toString());
  }

  /** What a failed run leaves behind, for its error message. */
  String lastGood() {
    List<Path> complete = checkpoints.complete();
    if (complete.isEmpty()) {
      return "no checkpoint was written yet";
    }
    return "the last good checkpoint, " + complete.get(complete.size() - 1)
        + ", is kept, and training resumes from it when run again";
  }

  /** After the model is published: the checkpoints are no longer needed. */
  void finished() {
    checkpoints.clear();
  }

  private Start fresh() {
    return new Start(
        VaeNetworks.create(context.settings().model(), training, data.shape().pixels()),
        0,
        List.of(),
        0);
  }

  private Start from(Checkpoints.Checkpoint checkpoint) {
    TrainingState state = checkpoint.state();
    requireCompatible(checkpoint);
    MultiLayerNetwork network = checkpoint.network();
    double checkpointRate = network.getLearningRate(0);
    if (checkpointRate != training.learningRate()) {
      LOG.info(
          "Learning rate changed since the checkpoint: {} -> {}",
          checkpointRate,
          training.learningRate());
      network.setLearningRate(training.learningRate());
    }
    LOG.info(
        "Resuming from checkpoint {}: epoch {} of {} done, iteration {}, {}",
        checkpoint.folder(),
        state.epoch(),
        training.epochs(),
        state.iterations(),
        state.history().size() < state.epoch()
            ? "not evaluated yet (the run stopped in its evaluation)"
            : "held-out -ELBO "
                + EpochLoop.f(state.history().get(state.history().size() - 1).testNegElbo()));
    return new Start(network, state.epoch(), state.history(), state.trainingSeconds());
  }

  private void requireCompatible(Checkpoints.Checkpoint checkpoint) {
    TrainingState state = checkpoint.state();
    Settings settings = context.settings();
    String restart = ": set vae.training.checkpoint.resume = false to start over, or delete "
        + checkpoints.root();
    if (!state.datasetFingerprint().equals(data.fingerprint())) {
      throw new InputFileException(
          "checkpoint " + checkpoint.folder() + " was trained on data with fingerprint "
              + state.datasetFingerprint() + ", but the data at "
              + data.location() + " has fingerprint "
              + data.fingerprint() + restart);
    }
    if (!state.model().equals(settings.model()) || state.seed() != training.seed()) {
      throw new SettingsException(
          "checkpoint " + checkpoint.folder() + " has model " + state.model() + " and seed "
              + state.seed() + ", but vae.model is " + settings.model()
              + " and vae.training.seed is " + training.seed()
              + restart);
    }
  }
}
