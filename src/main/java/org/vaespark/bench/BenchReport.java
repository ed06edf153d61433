package org.vaespark.bench;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.Properties;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.vaespark.config.Settings;
import org.vaespark.dataset.Images;
import org.vaespark.io.Json;

/**
 * Turns the files one run of {@code deploy/vae-bench.sh} left in its folder (our metrics and logs, the PyTorch
 * reference's output, wall times and peak memory per job, the GEMM probe, the machine) into {@code report.json}
 * and {@code report.md}. Every number comes from those files; a figure that cannot be computed is {@code null}
 * with a {@code <key>_reason} beside it. Usage: {@code BenchReport FOLDER}.
 */
public final class BenchReport {
  /** The held-out loss whose first crossing the time-to-quality figures measure (nats/example). */
  public static final double TARGET_NATS = 115.0;
  /** The epoch at which both held-out losses are compared. */
  public static final int COMPARE_EPOCH = 20;

  private static final Pattern PREPARE_TIME =
      Pattern.compile("time +prepare (\\d+) images in ([0-9.]+) s");
  private static final Pattern GENERATE_TIME =
      Pattern.compile("time +generate ([0-9.]+) s, embeddings of (\\d+) examples in ([0-9.]+) s");

  private final BenchFiles files;
  private final Map<String, Object> report = new LinkedHashMap<>();

  BenchReport(Path dir) {
    this.files = new BenchFiles(dir);
  }

  public static void main(String[] args) {
    Path dir = Path.of(args[0]);
    Map<String, Object> report = new BenchReport(dir).build();
    BenchFiles.write(dir.resolve("report.json"), Json.pretty(report));
    BenchFiles.write(dir.resolve("report.md"), BenchMarkdown.render(report));
    System.out.println(
        "report: " + dir.resolve("report.json") + " and " + dir.resolve("report.md"));
  }

  Map<String, Object> build() {
    Properties machine = files.properties("machine.properties");
    Properties torch = files.properties("torch.properties");
    bundled(torch);
    perCore(torch);
    seventyK(machine, torch);
    memory();
    roofline();
    workersScaling();
    dl4jStep();
    Map<String, Object> machineInfo = new LinkedHashMap<>();
    machine.stringPropertyNames().stream()
        .sorted()
        .forEach(k -> machineInfo.put(k, machine.getProperty(k)));
    report.put("machine", machineInfo);
    put(
        "torch_version",
        torch.getProperty("torch_version"),
        torch.getProperty("torch_reason", "no torch.properties"));
    report.put("torch_threads", torch.getProperty("torch_threads"));
    report.put(
        "notes",
        List.of(
            "Epoch seconds are training time only; both tools evaluate the held-out loss outside them.",
            "Throughput figures are medians over every epoch after the first, of all runs of that kind.",
            "Ours and the reference ran alternately in this run, on the same cores, with the same thread count."));
    return report;
  }

  /** The reference's learning rates: the example's own and its best here; ours is held against the better. */
  static final Map<String, String> TORCH_RATES =
      Map.of("1e-3", "torch-bundled-%d.log", "3e-3", "torch-bundled-lr3e-3-%d.log");

  private void bundled(Properties torch) {
    List<EpochLog> ours = files.runs("ours-bundled-%d/model/metrics.jsonl", true);
    Map<String, List<EpochLog>> byRate = new TreeMap<>();
    TORCH_RATES.forEach((rate, pattern) -> byRate.put(rate, files.runs(pattern, false)));
    List<EpochLog> theirs = byRate.values().stream().flatMap(List::stream).toList();
    String noTorch = torch.getProperty("torch_reason", "the reference did not run");
    put(
        "train_examples_per_second",
        EpochLog.steadyThroughput(ours),
        "our bundled-sample runs are missing");
    put(
        "first_epoch_seconds",
        median(ours.stream().map(EpochLog::firstEpochSeconds).toList()),
        "no run of ours");
    put("torch_examples_per_second", EpochLog.steadyThroughput(theirs), noTorch);
    put(
        "torch_first_epoch_seconds",
        median(theirs.stream().map(EpochLog::firstEpochSeconds).toList()),
        noTorch);
    ratio("throughput_ratio_vs_torch", "train_examples_per_second", "torch_examples_per_second");
    OptionalDouble oursTo =
        median(ours.stream().map(l -> l.secondsTo(TARGET_NATS)).toList());
    put("seconds_to_115_nats", oursTo, notReached(ours));
    best(
        "torch_seconds_to_115_nats",
        byRate,
        logs -> median(logs.stream().map(l -> l.secondsTo(TARGET_NATS)).toList()),
        theirs.isEmpty() ? noTorch : notReached(theirs));
    ratio("time_to_quality_ratio_vs_torch", "torch_seconds_to_115_nats", "seconds_to_115_nats");
    put(
        "test_neg_elbo_after_20_epochs",
        median(ours.stream().map(l -> l.testNegElboAfter(COMPARE_EPOCH)).toList()),
        "no run of ours reached epoch " + COMPARE_EPOCH);
    best(
        "torch_test_neg_elbo_after_20_epochs",
        byRate,
        logs -> median(logs.stream().map(l -> l.testNegElboAfter(COMPARE_EPOCH)).toList()),
        theirs.isEmpty() ? noTorch : "no reference run reached epoch " + COMPARE_EPOCH);
  }

  /**
   * {@code key}: the lowest (best) figure of the reference over its learning rates, and {@code key_by_rate}: each
   * rate's.
   */
  private void best(
      String key,
      Map<String, List<EpochLog>> byRate,
      java.util.function.Function<List<EpochLog>, OptionalDouble> figure,
      String reason) {
    Map<String, Object> rates = new LinkedHashMap<>();
    OptionalDouble best = OptionalDouble.empty();
    for (Map.Entry<String, List<EpochLog>> rate : byRate.entrySet()) {
      OptionalDouble value =
          rate.getValue().isEmpty() ? OptionalDouble.empty() : figure.apply(rate.getValue());
      rates.put(rate.getKey(), value.isPresent() ? value.getAsDouble() : null);
      if (value.isPresent() && (best.isEmpty() || value.getAsDouble() < best.getAsDouble())) {
        best = value;
      }
    }
    put(key, best, reason);
    report.put(key + "_by_rate", rates);
  }

  /** One worker of ours against the reference with one thread: the per-core comparison. */
  private void perCore(Properties torch) {
    put(
        "one_worker_examples_per_second",
        EpochLog.steadyThroughput(files.runs("ours-workers-1/model/metrics.jsonl", true)),
        "the one-worker run did not run");
    put(
        "torch_one_thread_examples_per_second",
        EpochLog.steadyThroughput(files.runs("torch-one-thread.log", false)),
        torch.getProperty("torch_reason", "the one-thread reference run did not run"));
    ratio(
        "one_thread_ratio_vs_torch",
        "one_worker_examples_per_second",
        "torch_one_thread_examples_per_second");
  }

  private void seventyK(Properties machine, Properties torch) {
    String noData =
        machine.getProperty("fashion_mnist_reason", "the 70,000-image runs did not run");
    Map<String, double[]> jobs = files.jobs();
    String prepareLog = files.read("ours-70k-prepare.log");
    Matcher prepare = prepareLog == null ? null : PREPARE_TIME.matcher(prepareLog);
    if (prepare != null && prepare.find()) {
      double images = Double.parseDouble(prepare.group(1));
      double seconds = Double.parseDouble(prepare.group(2));
      report.put("prepare_images", (long) images);
      report.put("prepare_images_per_second", images / seconds);
      startup("prepare_startup_seconds", jobs.get("ours-70k-prepare"), seconds);
    } else {
      put("prepare_images_per_second", OptionalDouble.empty(), noData);
    }
    String generateLog = files.read("ours-70k-generate.log");
    Matcher generate = generateLog == null ? null : GENERATE_TIME.matcher(generateLog);
    if (generate != null && generate.find()) {
      double examples = Double.parseDouble(generate.group(2));
      report.put(
          "generate_embeddings_per_second", examples / Double.parseDouble(generate.group(3)));
      startup(
          "generate_startup_seconds",
          jobs.get("ours-70k-generate"),
          Double.parseDouble(generate.group(1)));
    } else {
      put("generate_embeddings_per_second", OptionalDouble.empty(), noData);
    }
    put(
        "train_examples_per_second_70k",
        EpochLog.steadyThroughput(files.runs("ours-70k/model/metrics.jsonl", true)),
        noData);
    put(
        "torch_examples_per_second_70k",
        EpochLog.steadyThroughput(files.runs("torch-70k.log", false)),
        torch.containsKey("torch_reason") ? torch.getProperty("torch_reason") : noData);
  }

  private void startup(String key, double[] job, double jobSeconds) {
    if (job == null) {
      put(key, OptionalDouble.empty(), "no wall time recorded");
    } else {
      report.put(key, Math.max(0, job[0] - jobSeconds));
    }
  }

  private void memory() {
    Map<String, Object> peaks = new LinkedHashMap<>();
    files.jobs().forEach((name, job) -> {
      if (!name.startsWith("torch")) {
        peaks.put(name, job[1]);
      }
    });
    if (peaks.isEmpty()) {
      put("peak_memory_mb", OptionalDouble.empty(), "no job's memory was sampled");
    } else {
      report.put("peak_memory_mb", peaks);
      report.put(
          "peak_memory_note",
          "peak resident set (VmHWM) of each job's JVM: driver and executors (local mode) "
              + "heap plus off-heap ND4J/JavaCPP memory");
    }
  }

  private void roofline() {
    long flops = FlopCount.perExample(
        new Settings.ModelSettings(List.of(400), List.of(400), 20, "relu"), Images.PIXELS);
    report.put("flops_per_example", flops);
    String gemm = files.read("gemm.json");
    if (gemm == null) {
      put("gemm_gflops", OptionalDouble.empty(), "the GEMM probe did not run");
      put("roofline_share", OptionalDouble.empty(), "no GEMM rate");
      return;
    }
    Map<?, ?> probe = Json.parse(gemm.trim(), Map.class, "gemm.json");
    double gflops = ((Number) probe.get("gemm_gflops")).doubleValue();
    report.put("gemm_gflops", gflops);
    report.put("gemm_probe", probe);
    Object throughput = report.get("train_examples_per_second");
    if (throughput instanceof Double rate) {
      report.put("roofline_share", rate * flops / (gflops * 1e9));
    } else {
      put("roofline_share", OptionalDouble.empty(), "no training throughput");
    }
  }

  /** The same training through DL4J's own VAE layer ({@code vae.training.step = dl4j}), against the fused step. */
  private void dl4jStep() {
    put(
        "dl4j_step_train_examples_per_second",
        EpochLog.steadyThroughput(files.runs("ours-dl4j-step/model/metrics.jsonl", true)),
        "the DL4J-layer run did not run (--quick)");
    ratio(
        "fused_step_speedup_vs_dl4j",
        "train_examples_per_second",
        "dl4j_step_train_examples_per_second");
  }

  private void workersScaling() {
    Map<String, Object> scaling = new LinkedHashMap<>();
    for (int workers : new int[] {1, 2}) {
      OptionalDouble rate = EpochLog.steadyThroughput(
          files.runs("ours-workers-" + workers + "/model/metrics.jsonl", true));
      scaling.put(String.valueOf(workers), rate.isPresent() ? rate.getAsDouble() : null);
    }
    if (scaling.values().stream().allMatch(v -> v == null)) {
      put("workers_scaling", OptionalDouble.empty(), "the scaling runs did not run (--quick)");
    } else {
      report.put("workers_scaling", scaling);
    }
  }

  private static String notReached(List<EpochLog> logs) {
    if (logs.isEmpty()) {
      return "no run";
    }
    double best = logs.stream().mapToDouble(EpochLog::bestTestNegElbo).min().orElse(Double.NaN);
    int epochs = logs.stream().mapToInt(l -> l.epochs().size()).max().orElse(0);
    return String.format(
        Locale.ROOT,
        "the held-out loss did not reach %.0f nats in %d epochs (best %.2f)",
        TARGET_NATS,
        epochs,
        best);
  }

  private static OptionalDouble median(List<OptionalDouble> values) {
    List<Double> present = values.stream()
        .filter(OptionalDouble::isPresent)
        .map(OptionalDouble::getAsDouble)
        .toList();
    return present.size() == values.size() ? EpochLog.median(present) : OptionalDouble.empty();
  }

  private void ratio(String key, String numerator, String denominator) {
    if (report.get(numerator) instanceof Double n
        && report.get(denominator) instanceof Double d
        && d > 0) {
      report.put(key, n / d);
    } else {
      put(key, OptionalDouble.empty(), "needs both " + numerator + " and " + denominator);
    }
  }

  private void put(String key, OptionalDouble value, String reason) {
    if (value.isPresent()) {
      report.put(key, value.getAsDouble());
    } else {
      report.put(key, null);
      report.put(key + "_reason", reason);
    }
  }

  private void put(String key, String value, String reason) {
    report.put(key, value);
    if (value == null) {
      report.put(key + "_reason", reason);
    }
  }
}
