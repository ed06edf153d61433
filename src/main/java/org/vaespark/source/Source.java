package org.vaespark.source;

import org.apache.hadoop.fs.Path;

/**
 * An input of {@code prepare}: IDX files, a folder of images or a Parquet table. The driver checks what it can
 * before any task runs (headers, columns, the folder layout); tasks on the executors read, check and convert the
 * images. No image passes through the driver.
 */
public interface Source {
  /** Reads and checks every example without writing anything: what {@link #write} would write. */
  SourceSummary scan();

  /**
   * Writes the examples as Parquet shards of the dataset's schema under {@code folder}/train and
   * {@code folder}/test, and returns what was written.
   */
  SourceSummary write(Path folder);
}
