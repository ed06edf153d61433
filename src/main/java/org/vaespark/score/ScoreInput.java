package org.vaespark.score;

import static org.apache.spark.sql.functions.lit;

import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.vaespark.config.Settings;
import org.vaespark.dataset.Images;
import org.vaespark.dataset.MnistDataset;
import org.vaespark.error.InputFileException;
import org.vaespark.inference.ScoringModel;
import org.vaespark.job.JobContext;
import org.vaespark.source.Sources;

/**
 * What {@code score} and {@code neighbors} read ({@code vae.score.source}): the input, as {@code prepare} reads it
 * but at the model's image size, or both splits of the published dataset (whose image size must be the model's).
 */
public final class ScoreInput {
  private ScoreInput() {}

  /** The rows to score: id, label, split, pixels (the model's size) and the file each came from (or null). */
  public static Dataset<Row> examples(JobContext context, ScoringModel model, Path modelFolder) {
    Settings settings = context.settings();
    Images.Shape shape = model.shape();
    if (Settings.ScoreSettings.DATASET.equals(settings.score().source())) {
      MnistDataset dataset =
          MnistDataset.open(context.storage(), settings.paths().dataset());
      Images.Shape data = dataset.manifest().shape();
      if (!data.equals(shape)) {
        throw new InputFileException(
            modelFolder + ": the model takes " + shape
                + " images, but the dataset at " + dataset.root() + " holds " + data
                + " images: use a model trained on images of this size (or read the input, which is resized)");
      }
      return dataset
          .read(context.spark(), MnistDataset.TRAIN)
          .unionByName(dataset.read(context.spark(), MnistDataset.TEST))
          .withColumn("path", lit(null).cast("string"));
    }
    return Sources.open(context.spark(), context.storage(), settings, shape).examples();
  }

  /** Says what is read, for messages. */
  public static String describe(Settings settings) {
    return Settings.ScoreSettings.DATASET.equals(settings.score().source())
        ? "the dataset at " + settings.paths().dataset()
        : "the input at " + settings.paths().input();
  }
}
