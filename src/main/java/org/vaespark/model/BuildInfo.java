package org.vaespark.model;

import java.io.IOException;
import java.io.InputStream;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import org.apache.spark.package$;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The build that runs and what it runs on, for model metadata: the tool's version, the git commit it was built
 * from ({@code git.properties}, written by the build) and the library versions.
 *
 * @param sparkVersion the Spark version this JVM runs (from the cluster's jars under spark-submit), which may
 *     differ from the one the tool was built against
 */
public record BuildInfo(
    String toolVersion,
    String gitCommit,
    String sparkVersion,
    String dl4jVersion,
    String dl4jSparkVersion) {
  /** What a build outside a git checkout records as its commit. */
  public static final String UNKNOWN = "unknown";

  /** The build on the classpath, and the Spark this JVM runs. */
  public static BuildInfo fromClasspath() {
    Properties build = load("/vae-build.properties");
    Properties git = load("/git.properties");
    String commit = git.getProperty("git.commit.id.full", UNKNOWN);
    if ("true".equals(git.getProperty("git.dirty"))) {
      commit += "-dirty";
    }
    return new BuildInfo(
        build.getProperty("version", UNKNOWN),
        commit,
        package$.MODULE$.SPARK_VERSION(),
        build.getProperty("dl4j.version", UNKNOWN),
        build.getProperty("dl4j.spark.version", UNKNOWN));
  }

  /** Library and runtime versions, as {@code metadata.json} records them. */
  public Map<String, String> versions() {
    Map<String, String> versions = new LinkedHashMap<>();
    versions.put("spark-vae-mnist", toolVersion);
    versions.put("spark", sparkVersion);
    versions.put("scala", scala.util.Properties.versionNumberString());
    versions.put("deeplearning4j", dl4jVersion);
    versions.put("dl4j-spark", dl4jSparkVersion);
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
