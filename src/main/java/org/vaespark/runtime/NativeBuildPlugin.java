package org.vaespark.runtime;

import java.util.Map;
import org.apache.spark.api.plugin.DriverPlugin;
import org.apache.spark.api.plugin.ExecutorPlugin;
import org.apache.spark.api.plugin.PluginContext;
import org.apache.spark.api.plugin.SparkPlugin;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vaespark.error.NativeBuildException;

/**
 * Chooses ND4J's native build and OpenBLAS's kernel in every executor JVM before its first task runs
 * ({@code spark.plugins}, which the tool's sessions set), by the OpenBLAS policy the driver put in {@value
 * OpenBlasCores#SPARK_CONF}. Nodes of one cluster may have different CPUs; each executor chooses for its own.
 */
public final class NativeBuildPlugin implements SparkPlugin {
  private static final Logger LOG = LoggerFactory.getLogger(NativeBuildPlugin.class);

  @Override
  public DriverPlugin driverPlugin() {
    return null;
  }

  @Override
  public ExecutorPlugin executorPlugin() {
    return new ExecutorPlugin() {
      @Override
      public void init(PluginContext context, Map<String, String> extraConf) {
        String policy = context
            .conf()
            .get(
                OpenBlasCores.SPARK_CONF,
                System.getProperty(OpenBlasCores.PROPERTY, OpenBlasCores.AUTO));
        System.setProperty(OpenBlasCores.PROPERTY, policy);
        try {
          NativeBuilds.configure(policy);
        } catch (NativeBuildException e) {
          // Thrown here it would stop the executor, and the cluster would start another and
          // another. Every task
          // that uses ND4J calls NativeBuilds.configure() first (Devices.prepareTask),
          // fails with the
          // same message, and the driver exits 4 with it.
          LOG.error("This executor cannot run ND4J: {}", e.getMessage());
        }
      }
    };
  }
}
