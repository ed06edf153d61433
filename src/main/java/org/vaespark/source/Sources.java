package org.vaespark.source;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vaespark.config.Settings;
import org.vaespark.dataset.Images;
import org.vaespark.dataset.MnistDataset;
import org.vaespark.error.InputFileException;
import org.vaespark.io.Storage;

/**
 * Opens the input of {@code prepare}: the kind set by {@code vae.prepare.input-kind}, or detected from what the
 * input path holds (MNIST IDX files, Parquet files, image files), looking at a bounded number of entries of its
 * top folders. An input that holds more than one kind is refused, naming an example of each.
 */
public final class Sources {
  /** Entries looked at, at most, to detect the kind of input. */
  static final int PROBE_ENTRIES = 2000;

  static final int PROBE_DEPTH = 3;
  private static final Logger LOG = LoggerFactory.getLogger(Sources.class);

  private Sources() {}

  public static Source open(SparkSession spark, Storage storage, Settings settings) {
    Settings.PrepareSettings prepare = settings.prepare();
    return open(
        spark, storage, settings, new Images.Shape(prepare.imageRows(), prepare.imageCols()));
  }

  /** The input of {@code settings}, read at {@code shape} (for scoring: the model's image size). */
  public static Source open(
      SparkSession spark, Storage storage, Settings settings, Images.Shape shape) {
    Settings.PrepareSettings prepare = settings.prepare();
    String input = settings.paths().input();
    String kind = Settings.PrepareSettings.AUTO.equals(prepare.inputKind())
        ? detect(storage, new Path(input))
        : prepare.inputKind();
    LOG.info("Input {}: {}", input, kind);
    return switch (kind) {
      case IdxSource.KIND -> new IdxSource(spark, storage, input, shape, prepare.shards());
      case ImageFolderSource.KIND -> new ImageFolderSource(spark, storage, input, prepare, shape);
      case ParquetSource.KIND -> new ParquetSource(spark, storage, input, prepare, shape);
      default -> throw new IllegalArgumentException("unknown input kind " + kind);
    };
  }

  /** The kind of input at {@code input}: idx, image-folder or parquet; anything else is bad input. */
  static String detect(Storage storage, Path input) {
    FileStatus status = storage.status(input);
    if (status == null) {
      throw new InputFileException(
          "input folder " + input + " not found: set vae.paths.input (or --input) to"
              + " a folder with the MNIST IDX files, a folder of images or a Parquet table");
    }
    if (status.isFile()) {
      String name = input.getName().toLowerCase(Locale.ROOT);
      if (name.endsWith(".parquet")) {
        return ParquetSource.KIND;
      }
      throw new InputFileException(
          input + ": a single file, not a folder of IDX files or images or a"
              + " Parquet table: set vae.paths.input (or --input) to the folder that holds it");
    }
    if (storage.exists(new Path(input, MnistDataset.MANIFEST))) {
      throw new InputFileException(
          input + " is a dataset this tool published (it has "
              + MnistDataset.MANIFEST + "), not raw input: to score it or find its neighbours set"
              + " vae.score.source = dataset and vae.paths.dataset to it; to prepare, point --input at the images");
    }
    Map<String, Path> found = probe(storage, input);
    if (found.isEmpty()) {
      throw new InputFileException(input + " holds no MNIST IDX files (" + IdxFiles.TRAIN_IMAGES
          + " ...), Parquet files or images (" + String.join(", ", ImageFolderSource.EXTENSIONS)
          + ") where it was looked at: check vae.paths.input, or set vae.prepare.input-kind");
    }
    if (found.size() > 1) {
      StringBuilder kinds = new StringBuilder();
      found.forEach((kind, example) -> kinds
          .append(kinds.length() == 0 ? "" : " and ")
          .append(kind)
          .append(" (")
          .append(example)
          .append(')'));
      throw new InputFileException(input + " holds more than one kind of input: " + kinds
          + "; keep one kind in the folder, or set vae.prepare.input-kind to the one to read");
    }
    return found.keySet().iterator().next();
  }

  /** The kinds of input seen in the top folders of {@code root}, each with the first file that shows it. */
  private static Map<String, Path> probe(Storage storage, Path root) {
    Map<String, Path> found = new LinkedHashMap<>();
    Deque<Path> folders = new ArrayDeque<>();
    Deque<Integer> depths = new ArrayDeque<>();
    folders.add(root);
    depths.add(0);
    int seen = 0;
    while (!folders.isEmpty() && seen < PROBE_ENTRIES) {
      Path folder = folders.poll();
      int depth = depths.poll();
      for (FileStatus entry : ImageFolderSource.visible(storage, folder)) {
        if (++seen > PROBE_ENTRIES) {
          break;
        }
        String name = entry.getPath().getName();
        if (entry.isDirectory()) {
          if (depth + 1 < PROBE_DEPTH) {
            folders.add(entry.getPath());
            depths.add(depth + 1);
          }
        } else if (depth == 0 && IdxFiles.isIdxName(name)) {
          found.putIfAbsent(IdxSource.KIND, entry.getPath());
        } else if (name.toLowerCase(Locale.ROOT).endsWith(".parquet")) {
          found.putIfAbsent(ParquetSource.KIND, entry.getPath());
        } else if (ImageFolderSource.isImageName(name)) {
          found.putIfAbsent(ImageFolderSource.KIND, entry.getPath());
        }
      }
    }
    return found;
  }
}
