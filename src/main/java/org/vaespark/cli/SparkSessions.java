package org.vaespark.cli;

import java.util.Arrays;
import java.util.Map;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vaespark.config.Settings;
import org.vaespark.runtime.NativeBuildPlugin;
import org.vaespark.runtime.OpenBlasCores;

/**
 * Creates the one SparkSession of a run. The master comes from outside: {@code spark-submit --master} (or
 * {@code -Dspark.master}), then our {@code --master} option, then {@code vae.spark.master}; {@code local[*]}
 * applies only when none of these gives one. Settings under {@code vae.spark.conf} never override what
 * spark-submit set.
 */
public final class SparkSessions {
  private static final Logger LOG = LoggerFactory.getLogger(SparkSessions.class);

  private SparkSessions() {}

  public static SparkSession create(Settings settings, String masterOption) {
    SparkConf conf = new SparkConf();
    if (masterOption != null && !masterOption.isBlank()) {
      conf.setMaster(masterOption);
    } else if (!conf.contains("spark.master")) {
      String configured = settings.spark().master();
      conf.setMaster(configured.isEmpty() ? "local[*]" : configured);
    }
    conf.setIfMissing("spark.app.name", settings.spark().appName());
    for (Map.Entry<String, String> entry : settings.spark().conf().entrySet()) {
      conf.setIfMissing(entry.getKey(), entry.getValue());
    }
    addPlugin(conf, NativeBuildPlugin.class.getName());
    conf.set(OpenBlasCores.SPARK_CONF, settings.nativeBackend().openblasCore());
    SparkSession spark = SparkSession.builder().config(conf).getOrCreate();
    LOG.info(
        "Spark {} session on master {} (default parallelism {})",
        spark.version(),
        spark.sparkContext().master(),
        spark.sparkContext().defaultParallelism());
    return spark;
  }

  /** Adds a plugin to {@code spark.plugins}, keeping those that spark-submit or the config named. */
  static void addPlugin(SparkConf conf, String plugin) {
    String plugins = conf.get("spark.plugins", "").trim();
    if (!Arrays.asList(plugins.split("\\s*,\\s*")).contains(plugin)) {
      conf.set("spark.plugins", plugins.isEmpty() ? plugin : plugins + "," + plugin);
    }
  }
}
