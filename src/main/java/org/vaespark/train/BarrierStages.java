package org.vaespark.train;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.api.java.JavaSparkContext;
import org.vaespark.error.SettingsException;

/**
 * What Spark's barrier execution mode, which runs an epoch's training tasks all at once, needs from the session: no
 * dynamic allocation, and a task slot for every worker at the same time. Checked before training where it can be
 * (local mode), and Spark's own refusal explained where it cannot.
 */
final class BarrierStages {
  private static final Pattern LOCAL = Pattern.compile("local(?:\\[(\\*|\\d+)(?:,\\s*\\d+)?])?");

  private BarrierStages() {}

  static void requireSupported(JavaSparkContext sc, int workers) {
    if (!sc.isLocal() && sc.getConf().getBoolean("spark.dynamicAllocation.enabled", false)) {
      throw new SettingsException(
          "spark.dynamicAllocation.enabled = true: training runs its " + workers
              + " workers as one Spark barrier stage, which Spark refuses under dynamic allocation; submit with "
              + "--conf spark.dynamicAllocation.enabled=false (README, 'Running on a cluster')");
    }
    int slots = localSlots(sc.master(), Integer.parseInt(sc.getConf().get("spark.task.cpus", "1")));
    if (slots > 0 && workers > slots) {
      throw new SettingsException("vae.training.workers = " + workers + " needs " + workers
          + " task slots at once (every worker trains at the same time), but " + sc.master()
          + " has " + slots
          + ": lower vae.training.workers (0 = one per slot) or give the master more cores");
    }
  }

  /** The task slots of a local master ({@code local}, {@code local[N]}, {@code local[*]}); 0 if not local. */
  static int localSlots(String master, int taskCpus) {
    Matcher m = LOCAL.matcher(master.trim());
    if (!m.matches()) {
      return 0;
    }
    int threads = m.group(1) == null
        ? 1
        : m.group(1).equals("*")
            ? Runtime.getRuntime().availableProcessors()
            : Integer.parseInt(m.group(1));
    return Math.max(1, threads / Math.max(1, taskCpus));
  }

  /**
   * Spark's refusal of a barrier stage without enough slots, as a setting to change; other failures as they are
   * (checked ones wrapped).
   */
  static RuntimeException explain(Exception failure, int workers) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      String message = String.valueOf(t.getMessage());
      if (t.getClass().getSimpleName().contains("BarrierJobSlotsNumberCheckFailed")
          || message.contains("requires more slots than the total number of slots")) {
        return new SettingsException(
            "vae.training.workers = " + workers + " needs " + workers
                + " task slots at once (every worker trains at the same time), more than the cluster offered: lower "
                + "vae.training.workers, or give the application more executor cores",
            failure);
      }
    }
    return failure instanceof RuntimeException runtime
        ? runtime
        : new IllegalStateException("a training job failed: " + failure.getMessage(), failure);
  }
}
