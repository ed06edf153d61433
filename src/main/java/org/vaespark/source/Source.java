package org.vaespark.source;

import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.vaespark.dataset.MnistDataset;

/**
 * An input of {@code prepare}: IDX files, a folder of images or a Parquet table. The driver checks what it can
 * before any task runs (headers, columns, the folder layout); tasks on the executors read, check and convert the
 * images. No image passes through the driver.
 */
public interface Source {
  /** The dataset's columns and {@code path}: the file an image came from (null for IDX files). */
  StructType EXAMPLES =
      MnistDataset.SCHEMA.add(DataTypes.createStructField("path", DataTypes.StringType, true));

  /**
   * Every example as a row of {@link #EXAMPLES}, read and converted on the executors when the DataFrame is
   * computed; bad input fails the job that computes it (find it with {@link TaskFailures#run}). For scoring new
   * data: the splits are kept as a column, and either may be empty.
   */
  Dataset<Row> examples();

  /** Reads and checks every example without writing anything: what {@link #write} would write. */
  SourceSummary scan();

  /**
   * Writes the examples as Parquet shards of the dataset's schema under {@code folder}/train and
   * {@code folder}/test, and returns what was written.
   */
  SourceSummary write(Path folder);
}
