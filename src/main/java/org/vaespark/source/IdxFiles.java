package org.vaespark.source;

import org.apache.hadoop.fs.Path;
import org.vaespark.error.InputFileException;
import org.vaespark.io.Storage;

/** The four canonical MNIST files in one folder, each either plain or gzipped ({@code .gz}). */
record IdxFiles(Path trainImages, Path trainLabels, Path testImages, Path testLabels) {
  static final String TRAIN_IMAGES = "train-images-idx3-ubyte";
  static final String TRAIN_LABELS = "train-labels-idx1-ubyte";
  static final String TEST_IMAGES = "t10k-images-idx3-ubyte";
  static final String TEST_LABELS = "t10k-labels-idx1-ubyte";

  /** Whether {@code name} is one of the four canonical file names, plain or gzipped. */
  static boolean isIdxName(String name) {
    String plain = name.endsWith(".gz") ? name.substring(0, name.length() - 3) : name;
    return plain.equals(TRAIN_IMAGES)
        || plain.equals(TRAIN_LABELS)
        || plain.equals(TEST_IMAGES)
        || plain.equals(TEST_LABELS);
  }

  static IdxFiles locate(Storage storage, String folder) {
    Path dir = new Path(folder);
    if (!storage.exists(dir)) {
      throw new InputFileException("input folder " + dir
          + " not found: set vae.paths.input (or --input) to the folder with the MNIST IDX files");
    }
    return new IdxFiles(
        find(storage, dir, TRAIN_IMAGES),
        find(storage, dir, TRAIN_LABELS),
        find(storage, dir, TEST_IMAGES),
        find(storage, dir, TEST_LABELS));
  }

  private static Path find(Storage storage, Path dir, String name) {
    for (String candidate : new String[] {name + ".gz", name}) {
      Path path = new Path(dir, candidate);
      if (storage.exists(path)) {
        return path;
      }
    }
    throw new InputFileException(new Path(dir, name) + ": file not found (looked for " + name
        + " and " + name + ".gz in " + dir + ")");
  }
}
