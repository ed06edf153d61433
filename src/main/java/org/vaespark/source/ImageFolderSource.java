package org.vaespark.source;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vaespark.config.Settings;
import org.vaespark.dataset.Images;
import org.vaespark.dataset.MnistDataset;
import org.vaespark.error.InputFileException;
import org.vaespark.io.Storage;

/**
 * A folder tree of image files (PNG, JPEG, BMP, GIF), read by Spark's {@code binaryFile} source on the executors
 * and decoded there with ImageIO. With {@code train/} and {@code test/} subfolders those are the splits, else the
 * split is decided by hash ({@link ImageRows}). Labels come from the name of the first subfolder under the split's
 * folder (sorted names become labels 0, 1, ...; the manifest records the index), or there are none (label -1).
 * The driver lists only the top one or two levels of folders (for the layout and the label index); the file
 * listing itself is Spark's.
 */
final class ImageFolderSource implements Source {
  static final String KIND = "image-folder";
  /** File name extensions of images, for detecting an image folder; every file is decoded whatever its name. */
  static final Set<String> EXTENSIONS = Set.of("png", "jpg", "jpeg", "bmp", "gif", "wbmp");

  private static final Logger LOG = LoggerFactory.getLogger(ImageFolderSource.class);

  private final SparkSession spark;
  private final ImageRows rows;
  private final Dataset<Row> files;
  private final ImageRows.Decoder decoder;

  /** The input at the dataset's image size ({@code vae.prepare.image-size}). */
  ImageFolderSource(
      SparkSession spark, Storage storage, String input, Settings.PrepareSettings settings) {
    this(
        spark,
        storage,
        input,
        settings,
        new Images.Shape(settings.imageRows(), settings.imageCols()));
  }

  ImageFolderSource(
      SparkSession spark,
      Storage storage,
      String input,
      Settings.PrepareSettings settings,
      Images.Shape shape) {
    this.spark = spark;
    Path root = storage.fs(new Path(input)).makeQualified(new Path(input));
    Map<String, Path> splitRoots = splitRoots(storage, root);
    List<String> labels = labels(storage, splitRoots, settings.folderLabels());
    LOG.info(
        "Reading images from {} ({}; {}) at {}",
        root,
        splitRoots.containsKey(null) ? "split by hash" : "train/ and test/",
        labels.isEmpty() ? "no labels" : labels.size() + " labels from subfolders",
        shape);
    this.rows = new ImageRows(spark, storage, KIND, shape, labels, settings.testFraction());
    this.files = files(splitRoots);
    Map<String, Integer> index = new HashMap<>();
    for (int i = 0; i < labels.size(); i++) {
      index.put(labels.get(i), i);
    }
    Map<String, String> roots = new HashMap<>();
    splitRoots.forEach((split, path) -> roots.put(path.toUri().getPath(), split));
    this.decoder = new FolderDecoder(roots, labels.isEmpty() ? null : index, shape);
  }

  @Override
  public SourceSummary scan() {
    return rows.scan(input(), positions(), decoder);
  }

  @Override
  public SourceSummary write(Path folder) {
    return rows.write(input(), positions(), decoder, folder);
  }

  @Override
  public Dataset<Row> examples() {
    return rows.examples(input(), positions(), decoder);
  }

  private org.apache.spark.api.java.JavaRDD<Row> input() {
    return files.select("path", "content", "split").javaRDD();
  }

  /** The same partitions without the files' content (binaryFile reads content only when it is selected). */
  private org.apache.spark.api.java.JavaRDD<Row> positions() {
    return files.select("path").javaRDD();
  }

  private Dataset<Row> files(Map<String, Path> splitRoots) {
    Dataset<Row> all = null;
    for (Map.Entry<String, Path> entry : splitRoots.entrySet()) {
      Dataset<Row> one = spark
          .read()
          .format("binaryFile")
          .option("recursiveFileLookup", "true")
          .load(entry.getValue().toString())
          .withColumn("split", lit(entry.getKey()).cast(DataTypes.StringType));
      all = all == null ? one : all.union(one);
    }
    return all.select(col("path"), col("content"), col("split"));
  }

  /** {train: root/train, test: root/test} when the root holds those two folders, else {null: root}. */
  private static Map<String, Path> splitRoots(Storage storage, Path root) {
    List<FileStatus> entries = visible(storage, root);
    Set<String> dirs = new TreeSet<>();
    for (FileStatus entry : entries) {
      if (entry.isDirectory()) {
        dirs.add(entry.getPath().getName());
      }
    }
    Map<String, Path> roots = new java.util.LinkedHashMap<>();
    if (dirs.contains(MnistDataset.TRAIN) && dirs.contains(MnistDataset.TEST)) {
      for (FileStatus entry : entries) {
        String name = entry.getPath().getName();
        if (!name.equals(MnistDataset.TRAIN) && !name.equals(MnistDataset.TEST)) {
          throw new InputFileException(entry.getPath() + ": beside the train/ and test/ folders of "
              + root + ", which are the splits: move it into one of them or remove it");
        }
      }
      roots.put(MnistDataset.TRAIN, new Path(root, MnistDataset.TRAIN));
      roots.put(MnistDataset.TEST, new Path(root, MnistDataset.TEST));
    } else {
      roots.put(null, root);
    }
    return roots;
  }

  /** The label index: the sorted names of the label subfolders of every split's folder, or none. */
  private static List<String> labels(Storage storage, Map<String, Path> splitRoots, String mode) {
    Set<String> names = new TreeSet<>();
    boolean anyFile = false;
    FileStatus file = null;
    for (Path splitRoot : splitRoots.values()) {
      for (FileStatus entry : visible(storage, splitRoot)) {
        if (entry.isDirectory()) {
          names.add(entry.getPath().getName());
        } else if (file == null) {
          file = entry;
          anyFile = true;
        }
      }
    }
    boolean subfolders = Settings.PrepareSettings.SUBFOLDERS.equals(mode)
        || (Settings.PrepareSettings.AUTO.equals(mode) && !names.isEmpty());
    if (!subfolders) {
      return List.of();
    }
    if (names.isEmpty()) {
      throw new InputFileException(splitRoots.values().iterator().next()
          + " has no label subfolders (vae.prepare.image-folder.labels = subfolders): put each label's "
          + "images in a subfolder named after it, or set the labels to none");
    }
    if (anyFile) {
      throw new InputFileException(file.getPath()
          + ": a file beside the label subfolders " + names
          + ": a mixed input; move it into its label's subfolder or remove it (or set "
          + "vae.prepare.image-folder.labels = none to ignore the subfolders' names)");
    }
    return new ArrayList<>(names);
  }

  /** The entries of a folder that Spark would read: not hidden ('.') and not metadata ('_'). */
  static List<FileStatus> visible(Storage storage, Path folder) {
    List<FileStatus> out = new ArrayList<>();
    for (FileStatus entry : storage.list(folder)) {
      String name = entry.getPath().getName();
      if (!name.startsWith(".") && !name.startsWith("_")) {
        out.add(entry);
      }
    }
    return out;
  }

  /** Whether a file name has an image extension. */
  static boolean isImageName(String name) {
    int dot = name.lastIndexOf('.');
    return dot >= 0 && EXTENSIONS.contains(name.substring(dot + 1).toLowerCase(Locale.ROOT));
  }

  /** On an executor: one file (path, content, split) to an example, its label from its first subfolder. */
  private static final class FolderDecoder implements ImageRows.Decoder {
    private static final long serialVersionUID = 1L;
    private final Map<String, String> roots;
    private final Map<String, Integer> labels;
    private final Images.Shape shape;

    FolderDecoder(Map<String, String> roots, Map<String, Integer> labels, Images.Shape shape) {
      this.roots = roots;
      this.labels = labels;
      this.shape = shape;
    }

    @Override
    public ImageRows.Example decode(Row row) {
      String file = row.getString(0);
      byte[] pixels = ImageConversion.decode((byte[]) row.get(1), shape, file);
      String split = row.isNullAt(2) ? null : row.getString(2);
      return new ImageRows.Example(pixels, label(file), split);
    }

    private int label(String file) {
      if (labels == null) {
        return -1;
      }
      // The folder just below the split's folder names the label.
      Path path = new Path(file);
      for (Path p = path; p.getParent() != null; p = p.getParent()) {
        if (roots.containsKey(p.getParent().toUri().getPath())) {
          Integer label = p == path ? null : labels.get(p.getName());
          if (label == null) {
            throw new InputFileException(file + ": not in a label subfolder (labels: "
                + new TreeSet<>(labels.keySet()) + "): move it into its label's subfolder");
          }
          return label;
        }
      }
      throw new InputFileException(file + ": outside the input folder " + roots.keySet());
    }
  }
}
