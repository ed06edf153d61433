package org.vaespark.sql;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.TaskContext;
import org.vaespark.inference.Inference;
import org.vaespark.inference.ScoringModel;
import org.vaespark.io.Storage;
import org.vaespark.runtime.Devices;

/**
 * The models the SQL functions use, loaded once per JVM (each executor, and the driver in local mode) and kept
 * by folder and version: a row never loads a model, and a promoted version is a new entry. Each thread that
 * scores gets its own {@link Inference} (its work arrays are not shared between tasks).
 */
final class ModelCache {
  private static final Map<String, Loaded> MODELS = new ConcurrentHashMap<>();
  private static final AtomicLong LOADS = new AtomicLong();
  private static final AtomicLong LOADS_IN_TASKS = new AtomicLong();
  private static final AtomicLong ROWS_IN_TASKS = new AtomicLong();

  private ModelCache() {}

  /** A loaded model and one {@link Inference} per thread. */
  static final class Loaded {
    private final ScoringModel model;
    private final ThreadLocal<Inference> inference;

    Loaded(ScoringModel model) {
      this.model = model;
      this.inference = ThreadLocal.withInitial(() -> new Inference(model.weights()));
    }

    Inference inference() {
      if (TaskContext.get() != null) {
        ROWS_IN_TASKS.incrementAndGet();
      }
      return inference.get();
    }

    ScoringModel model() {
      return model;
    }
  }

  /** The model of {@code folder} at {@code version}, loaded on first use in this JVM. */
  static Loaded get(String folder, String version, Configuration conf) {
    return MODELS.computeIfAbsent(folder + "#" + version, key -> {
      Devices.prepareTask();
      LOADS.incrementAndGet();
      if (TaskContext.get() != null) {
        LOADS_IN_TASKS.incrementAndGet();
      }
      return new Loaded(ScoringModel.load(new Storage(conf), new Path(folder)));
    });
  }

  /** Models loaded by this JVM so far (for tests and logs). */
  static long loads() {
    return LOADS.get();
  }

  /** Of those, loaded inside a Spark task (on an executor). */
  static long loadsInTasks() {
    return LOADS_IN_TASKS.get();
  }

  /** Rows scored by the SQL functions inside Spark tasks in this JVM. */
  static long rowsInTasks() {
    return ROWS_IN_TASKS.get();
  }
}
