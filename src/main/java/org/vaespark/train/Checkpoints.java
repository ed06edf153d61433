package org.vaespark.train;

import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vaespark.error.InputFileException;
import org.vaespark.io.Json;
import org.vaespark.io.Storage;
import org.vaespark.model.ModelStore;

/**
 * Training checkpoints under one folder, one sub-folder per checkpointed epoch ({@code epoch-00007}), each
 * holding {@code model.zip} (DL4J's format with the Adam state), {@code checkpoint.json} ({@link TrainingState})
 * and {@code _SUCCESS}. A checkpoint is written to a hidden staging folder and renamed into place, so a crash
 * while writing leaves the previous checkpoints as they were; a folder without {@code _SUCCESS} is never read.
 */
public final class Checkpoints {
  static final String STATE_FILE = "checkpoint.json";
  private static final Logger LOG = LoggerFactory.getLogger(Checkpoints.class);
  private static final Pattern EPOCH_FOLDER = Pattern.compile("epoch-(\\d+)");

  private final Storage storage;
  private final ModelStore models;
  private final Path root;
  private final int keep;

  public Checkpoints(Storage storage, Path root, int keep) {
    this.storage = storage;
    this.models = new ModelStore(storage);
    this.root = root;
    this.keep = keep;
  }

  /** A complete checkpoint: the network with its updater state, and the state of the training loop. */
  public record Checkpoint(Path folder, MultiLayerNetwork network, TrainingState state) {}

  public Path root() {
    return root;
  }

  /** Writes the checkpoint of a finished epoch, then deletes the complete ones beyond the newest {@code keep}. */
  public Path write(MultiLayerNetwork network, TrainingState state) {
    Path target = new Path(root, folderName(state.epoch()));
    byte[] modelZip = ModelStore.serialize(network);
    storage.publish(target, true, staging -> {
      models.writeModel(staging, modelZip);
      storage.writeString(new Path(staging, STATE_FILE), Json.pretty(state));
    });
    prune();
    return target;
  }

  /**
   * Replaces the training-loop state of epoch {@code state.epoch()}'s checkpoint, if there is one: the checkpoint is
   * written as soon as the epoch's training ends, and its metrics are added once the epoch is evaluated.
   */
  public void updateState(TrainingState state) {
    Path folder = new Path(root, folderName(state.epoch()));
    if (storage.isPublished(folder)) {
      storage.replace(new Path(folder, STATE_FILE), Json.pretty(state));
    }
  }

  /** Deletes epoch {@code epoch}'s checkpoint (its parameters turned out to be no good). */
  public void discard(int epoch) {
    storage.deleteQuietly(new Path(root, folderName(epoch)));
  }

  /** The newest complete checkpoint, if any; unfinished ones (a crash while writing) are skipped and removed. */
  public Optional<Checkpoint> latest() {
    removeUnfinished();
    List<Path> complete = complete();
    if (complete.isEmpty()) {
      return Optional.empty();
    }
    Path folder = complete.get(complete.size() - 1);
    MultiLayerNetwork network = models.loadNetwork(folder, true);
    Path stateFile = new Path(folder, STATE_FILE);
    TrainingState state =
        Json.parse(storage.readString(stateFile), TrainingState.class, stateFile.toString());
    if (state.epoch() != epochOf(folder)) {
      throw new InputFileException(
          stateFile + " says epoch " + state.epoch() + " but its folder is " + folder.getName()
              + ": the checkpoint was tampered with; delete " + root + " to start over");
    }
    return Optional.of(new Checkpoint(folder, network, state));
  }

  /** Deletes every checkpoint: after the model is published, or when resuming is turned off. */
  public void clear() {
    if (storage.delete(root)) {
      LOG.info("Deleted checkpoints at {}", root);
    }
  }

  /** Complete checkpoint folders, oldest first. */
  List<Path> complete() {
    return Arrays.stream(storage.list(root))
        .map(FileStatus::getPath)
        .filter(p -> EPOCH_FOLDER.matcher(p.getName()).matches())
        .filter(storage::isPublished)
        .sorted(Comparator.comparingInt(Checkpoints::epochOf))
        .toList();
  }

  private void prune() {
    List<Path> complete = complete();
    for (Path old : complete.subList(0, Math.max(0, complete.size() - keep))) {
      storage.deleteQuietly(old);
      LOG.debug("Deleted old checkpoint {}", old);
    }
  }

  /** Staging folders and epoch folders without {@code _SUCCESS} left by a run that died while writing. */
  private void removeUnfinished() {
    for (FileStatus status : storage.list(root)) {
      Path p = status.getPath();
      boolean staging = p.getName().startsWith(".");
      boolean incomplete = EPOCH_FOLDER.matcher(p.getName()).matches() && !storage.isPublished(p);
      if (staging || incomplete) {
        LOG.warn(
            "Removing unfinished checkpoint {} (left by a run that stopped while writing it)", p);
        storage.deleteQuietly(p);
      }
    }
  }

  static String folderName(int epoch) {
    return String.format(Locale.ROOT, "epoch-%05d", epoch);
  }

  private static int epochOf(Path folder) {
    Matcher m = EPOCH_FOLDER.matcher(folder.getName());
    if (!m.matches()) {
      throw new IllegalArgumentException(folder + " is not a checkpoint folder");
    }
    return Integer.parseInt(m.group(1));
  }
}
