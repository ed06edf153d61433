package org.vaespark.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.vaespark.model.ModelStore;

/**
 * The per-epoch training record of one run, ours ({@code metrics.jsonl}) or the PyTorch reference's (its
 * {@code epoch N train_loss .. test_loss .. epoch_s .. examples_per_s ..} lines), and the figures the benchmark
 * derives from it. Epoch seconds are training time only: both tools evaluate the held-out loss outside them.
 */
public record EpochLog(List<Epoch> epochs) {
  /** One epoch: its training seconds, throughput and the held-out negative ELBO after it (nats/example). */
  public record Epoch(int epoch, double seconds, double examplesPerSecond, double testNegElbo) {}

  private static final Pattern TORCH_LINE = Pattern.compile(
      "^epoch (\\d+) train_loss (\\S+) test_loss (\\S+) epoch_s (\\S+) examples_per_s (\\S+)\\s*$",
      Pattern.MULTILINE);

  /** Our {@code metrics.jsonl}: one JSON object per epoch. */
  public static EpochLog ofMetrics(String jsonl, String source) {
    return new EpochLog(ModelStore.parseMetrics(jsonl, source).stream()
        .map(m -> new Epoch(m.epoch(), m.epochSeconds(), m.examplesPerSecond(), m.testNegElbo()))
        .toList());
  }

  /** The output of {@code torch_vae.py}. */
  public static EpochLog ofTorch(String output) {
    List<Epoch> epochs = new ArrayList<>();
    Matcher m = TORCH_LINE.matcher(output);
    while (m.find()) {
      epochs.add(new Epoch(
          Integer.parseInt(m.group(1)),
          Double.parseDouble(m.group(4)),
          Double.parseDouble(m.group(5)),
          Double.parseDouble(m.group(3))));
    }
    return new EpochLog(List.copyOf(epochs));
  }

  public boolean isEmpty() {
    return epochs.isEmpty();
  }

  /** Seconds of the first epoch (start-up effects: JIT, caches, first allocations). */
  public OptionalDouble firstEpochSeconds() {
    return epochs.isEmpty()
        ? OptionalDouble.empty()
        : OptionalDouble.of(epochs.get(0).seconds());
  }

  /** Steady-state throughput: the median examples/s over the epochs after the first, of all given logs. */
  public static OptionalDouble steadyThroughput(List<EpochLog> logs) {
    List<Double> rates = new ArrayList<>();
    for (EpochLog log : logs) {
      log.epochs().stream().skip(1).forEach(e -> rates.add(e.examplesPerSecond()));
    }
    return median(rates);
  }

  /** Training seconds from the start of the first epoch until the held-out loss first reaches {@code nats}. */
  public OptionalDouble secondsTo(double nats) {
    double seconds = 0;
    for (Epoch e : epochs) {
      seconds += e.seconds();
      if (e.testNegElbo() <= nats) {
        return OptionalDouble.of(seconds);
      }
    }
    return OptionalDouble.empty();
  }

  /** The held-out loss after the given epoch, if the run got that far. */
  public OptionalDouble testNegElboAfter(int epoch) {
    return epochs.stream()
        .filter(e -> e.epoch() == epoch)
        .mapToDouble(Epoch::testNegElbo)
        .findFirst();
  }

  public double bestTestNegElbo() {
    return epochs.stream().mapToDouble(Epoch::testNegElbo).min().orElse(Double.NaN);
  }

  /** The median of some values; empty for none. */
  public static OptionalDouble median(List<Double> values) {
    if (values.isEmpty()) {
      return OptionalDouble.empty();
    }
    List<Double> sorted = values.stream().sorted().toList();
    int n = sorted.size();
    return OptionalDouble.of(
        n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2);
  }
}
