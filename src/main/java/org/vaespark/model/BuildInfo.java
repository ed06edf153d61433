package org.vaespark.model;

import java.io.IOException;
import java.io.InputStream;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import org.nd4j.linalg.factory.Nd4j;

/** Versions this tool was built with and runs on, and its git commit, for model metadata. */
public final class BuildInfo {
  private static final Properties BUILD = load("/vae-build.properties");
  private static final Properties GIT = load("/git.properties");

  private BuildInfo() {}

  public static String gitCommit() {
    String commit = GIT.getProperty("git.commit.id.full", "unknown");
    return "true".equals(GIT.getProperty("git.dirty")) ? commit + "-dirty" : commit;
  }

  public static String toolVersion() {
    return BUILD.getProperty("version", "unknown");
  }

  public static Map<String, String> versions(String sparkRuntimeVersion) {
    Map<String, String> versions = new LinkedHashMap<>();
    versions.put("spark-vae-mnist", toolVersion());
    versions.put("spark", sparkRuntimeVersion);
    versions.put("scala", scala.util.Properties.versionNumberString());
    versions.put("deeplearning4j", BUILD.getProperty("dl4j.version", "unknown"));
    versions.put("dl4j-spark", BUILD.getProperty("dl4j.spark.version", "unknown"));
    versions.put("nd4j-backend", Nd4j.getBackend().getClass().getSimpleName());
    versions.put("java", System.getProperty("java.version"));
    return versions;
  }

  private static Properties load(String resource) {
    Properties properties = new Properties();
    try (InputStream in = BuildInfo.class.getResourceAsStream(resource)) {
      if (in != null) {
        properties.load(in);
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot read " + resource, e);
    }
    return properties;
  }
}
