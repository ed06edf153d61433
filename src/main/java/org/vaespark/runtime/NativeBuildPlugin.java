package org.vaespark.runtime;

import java.util.Map;
import org.apache.spark.api.plugin.DriverPlugin;
import org.apache.spark.api.plugin.ExecutorPlugin;
import org.apache.spark.api.plugin.PluginContext;
import org.apache.spark.api.plugin.SparkPlugin;

/**
 * Chooses ND4J's native build and OpenBLAS's kernel in every executor JVM before its first task runs
 * ({@code spark.plugins}, which the tool's sessions set), by the OpenBLAS policy the driver put in {@value
 * OpenBlasCores#SPARK_CONF}. Nodes of one cluster may have different CPUs; each executor chooses for its own.
 */
public final class NativeBuildPlugin implements SparkPlugin {
  @Override
  public DriverPlugin driverPlugin() {
    return null;
  }

  @Override
  public ExecutorPlugin executorPlugin() {
    return new ExecutorPlugin() {
      @Override
      public void init(PluginContext context, Map<String, String> extraConf) {
        NativeBuilds.configure(context
            .conf()
            .get(
                OpenBlasCores.SPARK_CONF,
                System.getProperty(OpenBlasCores.PROPERTY, OpenBlasCores.AUTO)));
      }
    };
  }
}
