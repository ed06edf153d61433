package org.vaespark.cli;

import java.io.PrintWriter;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.vaespark.config.SettingsLoader;
import org.vaespark.error.OutOfMemoryException;

/**
 * For {@code OutOfMemoryTest}, in a JVM of its own with a small heap: a session created as the tool creates it
 * (local mode), and one task that really runs out of Java heap. The failure goes through the tool's mapping; the
 * JVM exits with the code the tool would.
 */
public final class TaskOutOfMemoryProbe {
  private TaskOutOfMemoryProbe() {}

  public static void main(String[] args) {
    PrintWriter err = new PrintWriter(System.err, true);
    SparkSession spark = SparkSessions.create(
        SettingsLoader.load(null, Map.of("vae.spark.master", "local[1]")), null);
    int code;
    try {
      JavaSparkContext.fromSparkContext(spark.sparkContext())
          .parallelize(List.of(1 << 28), 1)
          .map(n -> new long[n].length) // 2 GiB: more than the heap this JVM was given
          .collect();
      code = 0;
    } catch (Exception | Error e) { // SparkException is checked in Java's eyes
      OutOfMemoryException named = OutOfMemory.find(e, spark.sparkContext().isLocal());
      code = ExitCodes.report(named != null ? named : e, err);
    }
    spark.stop();
    System.exit(code);
  }
}
