package org.vaespark.score;

import java.util.Optional;
import org.apache.hadoop.fs.Path;
import org.vaespark.config.Settings;
import org.vaespark.error.InputFileException;
import org.vaespark.job.JobContext;
import org.vaespark.retrain.VersionStore;

/**
 * The model folder {@code score} and {@code neighbors} use ({@code vae.score.model}): {@code ""} the published
 * model at {@code vae.paths.model}; {@code "current"} the version {@code CURRENT} names under
 * {@code vae.paths.output} (retrain's root); anything else a published model folder.
 */
public final class ModelChoice {
  private ModelChoice() {}

  public static Path folder(JobContext context) {
    Settings settings = context.settings();
    String model = settings.score().model();
    if (model.isEmpty()) {
      return new Path(settings.paths().model());
    }
    if (!Settings.ScoreSettings.CURRENT.equals(model)) {
      return new Path(model);
    }
    Path root = new Path(settings.paths().output());
    Optional<VersionStore.Pointer> current =
        new VersionStore(context.storage(), root, context.clock()).current();
    return new Path(current
        .orElseThrow(() -> new InputFileException(new Path(root, VersionStore.POINTER)
            + " does not exist: no model version has been promoted under " + root
            + "; run retrain first, or set vae.score.model (or --model) to a model folder"))
        .model());
  }
}
