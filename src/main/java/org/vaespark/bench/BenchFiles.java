package org.vaespark.bench;

import java.io.IOException;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

/** The folder {@code deploy/vae-bench.sh} writes: job logs, metrics, {@code jobs.tsv} and properties files. */
final class BenchFiles {
  private final Path dir;

  BenchFiles(Path dir) {
    this.dir = dir;
  }

  /** Runs 1, 2, ... of a kind, as far as their files exist; a single file name without %d is one run. */
  List<EpochLog> runs(String pattern, boolean metrics) {
    List<EpochLog> logs = new ArrayList<>();
    for (int run = 1; run <= 9; run++) {
      String text = read(String.format(Locale.ROOT, pattern, run));
      if (text == null) {
        break;
      }
      EpochLog log = metrics ? EpochLog.ofMetrics(text, pattern) : EpochLog.ofTorch(text);
      if (!log.isEmpty()) {
        logs.add(log);
      }
      if (!pattern.contains("%d")) {
        break;
      }
    }
    return logs;
  }
  /** name -> {wall seconds, peak MB} from jobs.tsv. */
  Map<String, double[]> jobs() {
    Map<String, double[]> jobs = new LinkedHashMap<>();
    String tsv = read("jobs.tsv");
    if (tsv != null) {
      for (String line : tsv.split("\n")) {
        String[] f = line.trim().split("\t");
        if (f.length == 3) {
          jobs.put(f[0], new double[] {Double.parseDouble(f[1]), Double.parseDouble(f[2])});
        }
      }
    }
    return jobs;
  }

  Properties properties(String name) {
    Properties p = new Properties();
    String text = read(name);
    if (text != null) {
      try {
        p.load(new StringReader(text));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return p;
  }

  String read(String name) {
    Path file = dir.resolve(name);
    try {
      return Files.isRegularFile(file) ? Files.readString(file) : null;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
  }

  static void write(Path file, String text) {
    try {
      Files.writeString(file, text);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }
}
