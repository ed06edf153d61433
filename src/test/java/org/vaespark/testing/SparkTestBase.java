package org.vaespark.testing;

import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.vaespark.config.SettingsLoader;

/**
 * One local[2] SparkSession per test class, configured as the jobs configure theirs: every Spark setting of
 * {@code vae.spark.conf} in reference.conf (Kryo with ND4J's registrator, no locality wait, ...), no UI, 4 shuffle
 * partitions.
 */
public abstract class SparkTestBase {
  protected static SparkSession spark;

  @BeforeAll
  static void startSpark() {
    spark = builder("spark-vae-mnist-test").getOrCreate();
  }

  /**
   * A local[2] session builder with the jobs' Spark settings. Without {@code spark.locality.wait = 0s} a local
   * session can wait forever: Spark's local backend offers its cores again only when a task starts or ends, so
   * tasks that prefer another host name (an HDFS datanode's "localhost") are never given the free core once the
   * others have finished.
   */
  public static SparkSession.Builder builder(String appName) {
    SparkSession.Builder builder = SparkSession.builder().master("local[2]").appName(appName);
    for (Map.Entry<String, String> entry :
        SettingsLoader.load(null, Map.of()).spark().conf().entrySet()) {
      builder.config(entry.getKey(), entry.getValue());
    }
    return builder.config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "4");
  }

  @AfterAll
  static void stopSpark() {
    if (spark != null) {
      spark.stop();
      spark = null;
    }
  }
}
