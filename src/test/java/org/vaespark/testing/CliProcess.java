package org.vaespark.testing;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import org.vaespark.cli.VaeCli;

/**
 * The command-line tool in a JVM of its own, started with this test JVM's classpath and options (the Java 17
 * {@code --add-opens} list, ND4J memory limits), its output going to a log file. Fault tests kill it.
 */
public final class CliProcess implements AutoCloseable {
  private final Process process;
  private final Path log;

  private CliProcess(Process process, Path log) {
    this.process = process;
    this.log = log;
  }

  public static CliProcess start(Path log, String... args) {
    return start(log, List.of(), args);
  }

  /** As {@link #start(Path, String...)}, with extra JVM options (system properties, for example). */
  public static CliProcess start(Path log, List<String> jvmOptions, String... args) {
    return startMain(log, jvmOptions, VaeCli.class, args);
  }

  /** As {@link #start(Path, List, String...)}, with extra environment variables (credentials, for example). */
  public static CliProcess start(
      Path log, List<String> jvmOptions, Map<String, String> environment, String... args) {
    return startMain(log, jvmOptions, environment, VaeCli.class, args);
  }

  /**
   * The tool with this JVM's classpath less the jars whose file names start with one of {@code jarPrefixes}: a
   * launcher that lacks them.
   */
  public static CliProcess startWithout(Path log, List<String> jarPrefixes, String... args) {
    String classpath = Arrays.stream(
            System.getProperty("java.class.path").split(File.pathSeparator))
        .filter(entry -> jarPrefixes.stream()
            .noneMatch(prefix -> Path.of(entry).getFileName().toString().startsWith(prefix)))
        .collect(Collectors.joining(File.pathSeparator));
    return startMain(log, List.of(), Map.of(), classpath, VaeCli.class, args);
  }

  /** Any main class in a JVM of its own, with this JVM's classpath and options plus {@code jvmOptions}. */
  public static CliProcess startMain(
      Path log, List<String> jvmOptions, Class<?> main, String... args) {
    return startMain(log, jvmOptions, Map.of(), main, args);
  }

  /**
   * As {@link #startMain(Path, List, Class, String...)}, with environment variables changed: a null value removes
   * the variable from the environment the child inherits.
   */
  public static CliProcess startMain(
      Path log,
      List<String> jvmOptions,
      Map<String, String> environment,
      Class<?> main,
      String... args) {
    return startMain(
        log, jvmOptions, environment, System.getProperty("java.class.path"), main, args);
  }

  private static CliProcess startMain(
      Path log,
      List<String> jvmOptions,
      Map<String, String> environment,
      String classpath,
      Class<?> main,
      String... args) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    for (String option : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (!option.startsWith("-Xmx")) {
        command.add(option);
      }
    }
    command.add("-Xmx1g");
    command.addAll(jvmOptions);
    command.add("-cp");
    command.add(classpath);
    command.add(main.getName());
    command.addAll(List.of(args));
    try {
      ProcessBuilder builder =
          new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
      environment.forEach((name, value) -> {
        if (value == null) {
          builder.environment().remove(name);
        } else {
          builder.environment().put(name, value);
        }
      });
      Process process = builder.start();
      return new CliProcess(process, log);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + command, e);
    }
  }

  /** Waits until {@code condition} holds; fails if the process ends first or the time runs out. */
  public void await(String what, BooleanSupplier condition, long timeoutSeconds)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeoutSeconds * 1_000_000_000L;
    while (!condition.getAsBoolean()) {
      if (!process.isAlive()) {
        throw new AssertionError(
            "process ended (exit " + process.exitValue() + ") before " + what + ":\n" + log());
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError(
            what + " did not happen within " + timeoutSeconds + " s:\n" + log());
      }
      Thread.sleep(100);
    }
  }

  public Process process() {
    return process;
  }

  /** Waits until {@code file} exists; fails if the process ends first or the time runs out. */
  public void awaitFile(Path file, long timeoutSeconds) throws InterruptedException {
    long deadline = System.nanoTime() + timeoutSeconds * 1_000_000_000L;
    while (!Files.exists(file)) {
      if (!process.isAlive()) {
        throw new AssertionError("process ended (exit " + process.exitValue() + ") before " + file
            + " appeared:\n" + log());
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError(
            file + " did not appear within " + timeoutSeconds + " s:\n" + log());
      }
      Thread.sleep(50);
    }
  }

  /** SIGKILL: no shutdown hooks, no finally blocks, exactly like an OOM killer or a lost node. */
  public void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor();
  }

  public int waitFor(long timeoutSeconds) throws InterruptedException {
    if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError("process did not finish within " + timeoutSeconds + " s:\n" + log());
    }
    return process.exitValue();
  }

  public String log() {
    try {
      return Files.readString(log);
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  @Override
  public void close() {
    process.destroyForcibly();
  }
}
