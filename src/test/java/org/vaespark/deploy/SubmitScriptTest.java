package org.vaespark.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** deploy/vae-submit.sh builds the spark-submit line it documents (spark-submit replaced by echo). */
class SubmitScriptTest {
  private record Run(int code, String output) {}

  private static Run submit(Map<String, String> env, String... args)
      throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of("bash", "deploy/vae-submit.sh"));
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder.environment().put("SPARK_SUBMIT", "echo");
    builder.environment().put("VAE_JAR", "hdfs:///apps/spark-vae-mnist.jar");
    builder.environment().putAll(env);
    Process process = builder.start();
    String output =
        new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    return new Run(process.waitFor(), output);
  }

  @Test
  void clientModeReadsTheConfigByItsPathAndYarnClusterModeByItsShippedName() throws Exception {
    String conf = new File("conf/cluster.conf").getAbsolutePath();
    Run client = submit(
        Map.of(), "--master", "spark://host:7077", "--", "pipeline", "--output", "hdfs:///vae");
    assertThat(client.code()).isZero();
    assertThat(client.output())
        .isEqualTo("--class org.vaespark.cli.VaeCli --name spark-vae-mnist pipeline --files " + conf
            + " --master spark://host:7077 hdfs:///apps/spark-vae-mnist.jar pipeline --config "
            + conf + " --output hdfs:///vae");

    Run yarn = submit(Map.of(), "--master", "yarn", "--deploy-mode", "cluster", "--", "retrain");
    assertThat(yarn.output())
        .endsWith("hdfs:///apps/spark-vae-mnist.jar retrain --config cluster.conf");

    Run k8s = submit(
        Map.of(), "--master", "k8s://https://api:6443", "--deploy-mode", "cluster", "--", "train");
    assertThat(k8s.output()).endsWith("train --config " + conf);
  }

  @Test
  void s3aJarsForAClusterThatLacksThemGoToSparkSubmitAsTheScriptSays() throws Exception {
    Run run = submit(
        Map.of(),
        "--packages",
        "org.apache.hadoop:hadoop-aws:3.3.4",
        "--master",
        "yarn",
        "--",
        "pipeline",
        "--output",
        "s3a://bucket/models/vae");
    assertThat(run.code()).isZero();
    assertThat(run.output())
        .contains(" --packages org.apache.hadoop:hadoop-aws:3.3.4 --master yarn ")
        .endsWith("--output s3a://bucket/models/vae");
  }

  @Test
  void missingSeparatorJarOrConfigIsAClearError() throws Exception {
    Run noCommand = submit(Map.of(), "--master", "yarn");
    assertThat(noCommand.code()).isEqualTo(2);
    assertThat(noCommand.output()).contains("then '--', then the command");

    Run noJar =
        submit(Map.of("VAE_JAR", "/nonexistent/app.jar"), "--master", "yarn", "--", "train");
    assertThat(noJar.code()).isEqualTo(2);
    assertThat(noJar.output())
        .contains("application jar /nonexistent/app.jar not found")
        .contains("mvn -q package");

    Run noConf =
        submit(Map.of("VAE_CONF", "/nonexistent/x.conf"), "--master", "yarn", "--", "train");
    assertThat(noConf.code()).isEqualTo(2);
    assertThat(noConf.output()).contains("config file /nonexistent/x.conf not found");
  }
}
