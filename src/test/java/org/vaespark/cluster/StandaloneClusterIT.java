package org.vaespark.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vaespark.io.Storage;
import org.vaespark.model.EpochMetrics;
import org.vaespark.model.ModelMetadata;
import org.vaespark.model.ModelStore;
import org.vaespark.runtime.CpuFeatures;
import org.vaespark.runtime.NativeBuild;
import org.vaespark.testing.EventLog;
import org.vaespark.testing.StandaloneCluster;

/**
 * The packaged jar on a real Spark standalone cluster: one Master and two Workers, each its own JVM, submitted
 * with spark-submit (Spark's SparkSubmit class, through deploy/vae-submit.sh) exactly as a user would. Runs in
 * {@code mvn verify} (after {@code package}); see DEVELOPERS.md.
 */
class StandaloneClusterIT {
  /** Epochs of each run here: enough to compare losses, short enough for CI. */
  private static final int EPOCHS = 8;
  /** How far the cluster's held-out loss may be from local mode's (runs of local mode differ by about 1 nat). */
  private static final double MARGIN_NATS = 2.0;

  @TempDir
  static Path dir;

  private static StandaloneCluster cluster;
  /** spark-submit processes (the drivers), stopped with the cluster even when a test fails midway. */
  private static final List<Process> drivers = new ArrayList<>();

  @BeforeAll
  static void startCluster() throws Exception {
    Path classpath = Path.of("target/classpath-spark.txt");
    assertThat(classpath)
        .as("run through 'mvn verify', which packages the jar first")
        .exists();
    assertThat(Path.of("target/spark-vae-mnist.jar")).exists();
    cluster = StandaloneCluster.start(dir.resolve("cluster"), classpath, 2, 1, "3g");
  }

  @AfterAll
  static void stopCluster() {
    for (Process driver : drivers) {
      driver.descendants().forEach(ProcessHandle::destroyForcibly);
      driver.destroyForcibly();
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  /** deploy/vae-submit.sh with spark-submit standing in as the SparkSubmit class on the cluster's Spark jars. */
  private static Process submit(Path log, List<String> sparkOptions, String... command)
      throws IOException {
    List<String> driverOptions = new ArrayList<>();
    for (String option : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (option.startsWith("--add-opens")) {
        driverOptions.add(option);
      }
    }
    driverOptions.addAll(List.of(
        "-Xmx2g",
        "-Djava.awt.headless=true",
        "-Dorg.bytedeco.javacpp.maxbytes=2G",
        "-Dorg.bytedeco.javacpp.maxphysicalbytes=4G",
        "-Dlog4j2.configurationFile=conf/log4j2.properties"));
    List<String> args = new ArrayList<>(List.of("deploy/vae-submit.sh"));
    args.addAll(sparkOptions);
    args.add("--");
    args.addAll(List.of(command));
    ProcessBuilder builder =
        new ProcessBuilder(args).redirectErrorStream(true).redirectOutput(log.toFile());
    builder.environment().putAll(cluster.environment());
    builder
        .environment()
        .put(
            "SPARK_SUBMIT",
            String.join(" ", cluster.sparkSubmitCommand(driverOptions.toArray(String[]::new))));
    Process driver = builder.start();
    drivers.add(driver);
    return driver;
  }

  private static List<String> onCluster(Path events) {
    return List.of(
        "--master",
        cluster.masterUrl(),
        "--deploy-mode",
        "client",
        "--conf",
        "spark.executor.cores=1",
        "--conf",
        "spark.executor.memory=1g",
        "--conf",
        "spark.cores.max=2",
        "--conf",
        "spark.executor.extraJavaOptions=-Dorg.bytedeco.javacpp.maxbytes=1500M -Dorg.bytedeco.javacpp.maxphysicalbytes=2500M",
        "--conf",
        "spark.eventLog.dir=file:" + events);
  }

  private static String[] pipeline(Path out, String... extra) {
    List<String> args = new ArrayList<>(List.of(
        "pipeline",
        "--input",
        "data-prep/sample",
        "--output",
        out.toString(),
        "--set",
        "vae.training.epochs=" + EPOCHS,
        "--set",
        "vae.training.workers=2"));
    args.addAll(List.of(extra));
    return args.toArray(String[]::new);
  }

  private static String await(Process process, Path log, int minutes) throws Exception {
    if (!process.waitFor(minutes, TimeUnit.MINUTES)) {
      process.destroyForcibly();
      throw new AssertionError(
          "spark-submit did not finish in " + minutes + " min:\n" + Files.readString(log));
    }
    String output = Files.readString(log);
    assertThat(process.exitValue()).as(output).isZero();
    return output;
  }

  private static List<EpochMetrics> metrics(Path out) {
    return new ModelStore(new Storage(new Configuration()))
        .loadMetrics(new org.apache.hadoop.fs.Path(out.resolve("model").toString()));
  }

  private static void assertComplete(Path out) {
    for (String output :
        new String[] {"dataset", "model", "generated", "generated/embeddings", "generated/samples"
        }) {
      assertThat(out.resolve(output).resolve("_SUCCESS")).as(output).exists();
    }
    for (String png :
        new String[] {"samples.png", "reconstructions.png", "loss_curves.png", "latent_scatter.png"
        }) {
      assertThat(out.resolve("generated").resolve(png)).isNotEmptyFile();
    }
    assertThat(metrics(out))
        .extracting(EpochMetrics::epoch)
        .containsExactly(1, 2, 3, 4, 5, 6, 7, 8);
  }

  @Test
  void pipelineTrainsOnBothExecutorsAndMatchesLocalMode() throws Exception {
    Path events = Files.createDirectories(dir.resolve("events-pipeline"));
    Path out = dir.resolve("cluster-out");
    String log = await(
        submit(dir.resolve("cluster.log"), onCluster(events), pipeline(out)),
        dir.resolve("cluster.log"),
        15);

    assertComplete(out);
    assertThat(log).contains("held-out negative ELBO");
    assertEachExecutorLoadedABuildItsCpuRuns(log, 2);
    EventLog eventLog = EventLog.readOnly(events);
    assertThat(eventLog.failedJobs()).isEmpty();
    assertThat(eventLog.executorsThatSucceeded("train-epoch-"))
        .as("executors that ran training tasks")
        .hasSize(2);
    ModelMetadata metadata = new ModelStore(new Storage(new Configuration()))
        .loadMetadata(new org.apache.hadoop.fs.Path(out.resolve("model").toString()));
    assertThat(metadata.training().workers()).isEqualTo(2);
    assertThat(metadata.data().trainExamples()).isEqualTo(8000);

    Path localOut = dir.resolve("local-out");
    await(
        submit(
            dir.resolve("local.log"),
            List.of("--master", "local[2]", "--conf", "spark.eventLog.enabled=false"),
            pipeline(localOut)),
        dir.resolve("local.log"),
        15);
    double cluster = metrics(out).get(EPOCHS - 1).testNegElbo();
    double local = metrics(localOut).get(EPOCHS - 1).testNegElbo();
    System.out.printf(
        "held-out -ELBO after %d epochs: cluster %.2f, local %.2f nats%n", EPOCHS, cluster, local);
    assertThat(cluster)
        .as("cluster vs local held-out -ELBO")
        .isCloseTo(local, Offset.offset(MARGIN_NATS));
  }

  @Test
  void trainingSurvivesTheLossOfAnExecutorDuringAnEpoch() throws Exception {
    Path events = Files.createDirectories(dir.resolve("events-kill"));
    Path out = dir.resolve("kill-out");
    Path logFile = dir.resolve("kill.log");
    int uiPort = StandaloneCluster.freePort();
    List<String> options = new ArrayList<>(onCluster(events));
    options.addAll(List.of("--conf", "spark.ui.enabled=true", "--conf", "spark.ui.port=" + uiPort));
    Process driver = submit(logFile, options, pipeline(out));
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
    while (!Files.readString(logFile).contains("Starting epoch 3 of")) {
      assertThat(driver.isAlive()).as(Files.readString(logFile)).isTrue();
      assertThat(System.nanoTime()).as("epoch 3 did not start in time").isLessThan(deadline);
      Thread.sleep(100);
    }
    String executor = busyExecutor(uiPort, deadline);
    ProcessHandle victim = cluster.executors().stream()
        .filter(p -> p.info().commandLine().orElse("").contains("--executor-id " + executor + " "))
        .findFirst()
        .orElseThrow();
    victim.destroyForcibly(); // SIGKILL while it runs a training task, as when a node dies

    await(driver, logFile, 15);

    assertComplete(out);
    List<EpochMetrics> history = metrics(out);
    assertThat(history.get(EPOCHS - 1).testNegElbo())
        .isFinite()
        .isLessThan(history.get(0).testNegElbo() - 20);
    EventLog eventLog = EventLog.readOnly(events);
    assertThat(eventLog.removedExecutors()).as("the killed executor").hasSize(1);
    // Losing an executor during an epoch's training job fails that job (Spark cannot retry a
    // barrier
    // result stage), and the trainer runs it again from the last completed round; a lost evaluation
    // task is retried by Spark itself.
    List<String> failedJobs = eventLog.failedJobs();
    assertThat(failedJobs).hasSizeLessThanOrEqualTo(1);
    if (!failedJobs.isEmpty()) {
      assertThat(Files.readString(logFile))
          .contains("running it again from the last completed round");
    }
    assertThat(eventLog.executorsThatSucceeded("train-epoch-"))
        .as("a replacement executor trained too")
        .hasSizeGreaterThanOrEqualTo(3);
    // The executor was killed while a training job ran (busyExecutor); its running task, of that
    // job or of the
    // evaluation that follows a short round, was lost with it and run again elsewhere.
    assertThat(eventLog.failureReasons(""))
        .as("the task lost with the executor")
        .contains("ExecutorLostFailure");
  }

  /**
   * An executor that is running a task while a training job runs, from the driver's REST API (the UI's /api/v1).
   */
  private static String busyExecutor(int uiPort, long deadline) throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    ObjectMapper json = new ObjectMapper();
    String api = "http://127.0.0.1:" + uiPort + "/api/v1/applications";
    while (System.nanoTime() < deadline) {
      String app = json.readTree(get(http, api)).get(0).get("id").asText();
      boolean training = false;
      for (JsonNode job : json.readTree(get(http, api + "/" + app + "/jobs?status=running"))) {
        training |= job.path("jobGroup").asText("").startsWith("train-epoch-");
      }
      if (!training) {
        Thread.sleep(5);
        continue;
      }
      for (JsonNode executor : json.readTree(get(http, api + "/" + app + "/executors"))) {
        if (!"driver".equals(executor.get("id").asText())
            && executor.get("activeTasks").asInt() > 0) {
          return executor.get("id").asText();
        }
      }
      Thread.sleep(20);
    }
    throw new AssertionError("no executor was running a task");
  }

  private static String get(HttpClient http, String url) throws Exception {
    return http.send(
            HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString())
        .body();
  }

  /**
   * From the backend report the driver logs at the start of training: each executor's chosen native build and the
   * library file it loaded. The executors chose for themselves (the tool's executor plugin), nothing passed a build.
   */
  private static void assertEachExecutorLoadedABuildItsCpuRuns(String log, int executors) {
    Matcher line = Pattern.compile(
            "Executor (\\d+) on .*native build: \\S+ .*?build \\((linux-x86_64[^)]*)\\).*loaded (\\S+?\\.so)")
        .matcher(log);
    Set<String> seen = new TreeSet<>();
    while (line.find()) {
      seen.add(line.group(1));
      String classifier = line.group(2);
      NativeBuild build = NativeBuild.ofExtension(classifier.substring("linux-x86_64".length()));
      assertThat(build).as(line.group()).isNotNull();
      assertThat(build.runsOn(CpuFeatures.current())).as(line.group()).isTrue();
      assertThat(line.group(3))
          .as("library loaded by executor " + line.group(1))
          .endsWith("/" + classifier + "/libnd4jcpu.so");
    }
    assertThat(seen).as("executors in the backend report").hasSize(executors);
  }
}
