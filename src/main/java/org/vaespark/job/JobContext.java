package org.vaespark.job;

import java.time.Clock;
import java.time.Instant;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.vaespark.config.Settings;
import org.vaespark.io.Storage;
import org.vaespark.model.BuildInfo;
import org.vaespark.model.ModelStore;

/**
 * What every job receives: the validated settings, the Spark session (created by the caller, never by a job),
 * the storage every read and publish goes through, the clock behind every timestamp and version id, and the
 * build that runs. A job is a class with a constructor taking this and a {@code run} method (docs/architecture.md,
 * "Adding a job").
 */
public record JobContext(
    Settings settings, SparkSession spark, Storage storage, Clock clock, BuildInfo build) {

  /** The context of a run on {@code spark}, with the system clock and the build on the classpath. */
  public static JobContext of(SparkSession spark, Settings settings) {
    return new JobContext(
        settings,
        spark,
        new Storage(
            spark.sparkContext().hadoopConfiguration(), settings.storage().atomicSchemes()),
        Clock.systemUTC(),
        BuildInfo.fromClasspath());
  }

  /** The same run with other settings (retrain's per-version paths). */
  public JobContext withSettings(Settings other) {
    return new JobContext(other, spark, storage, clock, build);
  }

  public JavaSparkContext sparkContext() {
    return JavaSparkContext.fromSparkContext(spark.sparkContext());
  }

  public ModelStore models() {
    return new ModelStore(storage);
  }

  public Instant now() {
    return clock.instant();
  }
}
