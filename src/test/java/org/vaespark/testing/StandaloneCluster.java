package org.vaespark.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A real Spark standalone cluster on loopback: one Master and {@code n} Workers, each its own JVM, run from
 * Maven's Spark jars. Its "Spark home" is a folder whose {@code jars/} links to those jars, as a binary
 * distribution's would hold them. {@link #close()} stops every process it started, executors included.
 */
public final class StandaloneCluster implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path home;
  private final int masterPort;
  private final int masterUiPort;
  private final List<Process> processes = new ArrayList<>();

  private StandaloneCluster(Path home, int masterPort, int masterUiPort) {
    this.home = home;
    this.masterPort = masterPort;
    this.masterUiPort = masterUiPort;
  }

  /** Starts the Master and {@code workers} Workers, and waits until every Worker has registered. */
  public static StandaloneCluster start(
      Path dir, Path providedClasspath, int workers, int coresPerWorker, String memoryPerWorker)
      throws IOException, InterruptedException {
    Path home = sparkHome(dir.resolve("spark-home"), providedClasspath);
    StandaloneCluster cluster = new StandaloneCluster(home, freePort(), freePort());
    Runtime.getRuntime().addShutdownHook(new Thread(cluster::close));
    try {
      cluster.launch(
          dir.resolve("master.log"),
          "org.apache.spark.deploy.master.Master",
          "--host",
          "127.0.0.1",
          "--port",
          String.valueOf(cluster.masterPort),
          "--webui-port",
          String.valueOf(cluster.masterUiPort));
      for (int i = 1; i <= workers; i++) {
        Path workDir = Files.createDirectories(dir.resolve("worker-" + i));
        cluster.launch(
            dir.resolve("worker-" + i + ".log"),
            "org.apache.spark.deploy.worker.Worker",
            "--host",
            "127.0.0.1",
            "--cores",
            String.valueOf(coresPerWorker),
            "--memory",
            memoryPerWorker,
            "--work-dir",
            workDir.toString(),
            "--webui-port",
            "0",
            cluster.masterUrl());
      }
      cluster.awaitWorkers(workers, Duration.ofSeconds(120));
      return cluster;
    } catch (IOException | InterruptedException | RuntimeException | AssertionError e) {
      cluster.close();
      throw e;
    }
  }

  public String masterUrl() {
    return "spark://127.0.0.1:" + masterPort;
  }

  public Path sparkHome() {
    return home;
  }

  /** The JVM command that stands in for {@code bin/spark-submit}: Spark's SparkSubmit class on the Spark jars. */
  public List<String> sparkSubmitCommand(String... jvmOptions) {
    List<String> command = new ArrayList<>(javaCommand());
    command.addAll(List.of(jvmOptions));
    command.addAll(List.of(
        "-cp", home.resolve("jars") + File.separator + "*", "org.apache.spark.deploy.SparkSubmit"));
    return command;
  }

  /** Environment every Spark JVM of this cluster needs: its Spark home and Scala version, and loopback only. */
  public Map<String, String> environment() {
    return Map.of(
        "SPARK_HOME",
        home.toString(),
        "SPARK_SCALA_VERSION",
        "2.12",
        "SPARK_LOCAL_IP",
        "127.0.0.1");
  }

  /** The Master's view of the cluster (its JSON endpoint): workers, running and completed applications. */
  public JsonNode masterState() throws IOException, InterruptedException {
    HttpResponse<String> response = HttpClient.newHttpClient()
        .send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + masterUiPort + "/json/"))
                .timeout(Duration.ofSeconds(10))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    return JSON.readTree(response.body());
  }

  /** Executor JVMs the Workers launched and that are still running. */
  public List<ProcessHandle> executors() {
    List<ProcessHandle> executors = new ArrayList<>();
    for (Process process : processes) {
      process
          .descendants()
          .filter(p -> p.info().commandLine().orElse("").contains("CoarseGrainedExecutorBackend"))
          .forEach(executors::add);
    }
    return executors;
  }

  @Override
  public synchronized void close() {
    for (Process process : processes) {
      process.descendants().forEach(ProcessHandle::destroyForcibly);
      process.destroyForcibly();
    }
    for (Process process : processes) {
      try {
        process.waitFor();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    processes.clear();
  }

  private void launch(Path log, String mainClass, String... args) throws IOException {
    List<String> command = new ArrayList<>(javaCommand());
    command.addAll(
        List.of("-Xmx512m", "-cp", home.resolve("jars") + File.separator + "*", mainClass));
    command.addAll(List.of(args));
    ProcessBuilder builder =
        new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
    builder.environment().putAll(environment());
    synchronized (this) {
      processes.add(builder.start());
    }
  }

  private void awaitWorkers(int expected, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    String last = "no answer";
    while (System.nanoTime() < deadline) {
      try {
        JsonNode state = masterState();
        last = state.toString();
        int alive = 0;
        for (JsonNode worker : state.path("workers")) {
          alive += "ALIVE".equals(worker.path("state").asText()) ? 1 : 0;
        }
        if (alive == expected) {
          return;
        }
      } catch (IOException e) {
        last = e.toString();
      }
      for (Process process : processes) {
        if (!process.isAlive()) {
          throw new AssertionError("a cluster process exited (" + process.exitValue()
              + "); see the logs in " + home.getParent());
        }
      }
      Thread.sleep(250);
    }
    throw new AssertionError(
        expected + " workers did not register within " + timeout + ": " + last);
  }

  private static List<String> javaCommand() {
    return List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString());
  }

  private static Path sparkHome(Path home, Path providedClasspath) throws IOException {
    Path jars = Files.createDirectories(home.resolve("jars"));
    for (String entry : Files.readString(providedClasspath).trim().split(File.pathSeparator)) {
      Path jar = Path.of(entry);
      Path link = jars.resolve(jar.getFileName());
      for (int i = 2; Files.exists(link, LinkOption.NOFOLLOW_LINKS); i++) {
        link = jars.resolve(i + "-" + jar.getFileName()); // same file name from two groups
      }
      Files.createSymbolicLink(link, jar);
    }
    return home;
  }

  /** A TCP port free on loopback right now. */
  public static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
