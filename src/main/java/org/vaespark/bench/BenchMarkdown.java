package org.vaespark.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** {@code report.md}: the table a person reads in ten seconds: ours, the reference, the ratio. */
final class BenchMarkdown {
  /** One row: its label and the report keys of our figure, PyTorch's (or null) and their ratio (or null). */
  private record Row(String label, String ours, String theirs, String ratio) {}

  private static final List<Row> ROWS = List.of(
      new Row(
          "training examples/s (bundled 8k, steady)",
          "train_examples_per_second",
          "torch_examples_per_second",
          "throughput_ratio_vs_torch"),
      new Row("first epoch, s", "first_epoch_seconds", "torch_first_epoch_seconds", null),
      new Row(
          "training examples/s, 1 worker vs 1 thread (bundled 8k, steady)",
          "one_worker_examples_per_second",
          "torch_one_thread_examples_per_second",
          "one_thread_ratio_vs_torch"),
      new Row(
          "seconds to 115 nats held-out (training time)",
          "seconds_to_115_nats",
          "torch_seconds_to_115_nats",
          "time_to_quality_ratio_vs_torch"),
      new Row(
          "held-out -ELBO after 20 epochs",
          "test_neg_elbo_after_20_epochs",
          "torch_test_neg_elbo_after_20_epochs",
          null),
      new Row(
          "training examples/s (60k Fashion-MNIST)",
          "train_examples_per_second_70k",
          "torch_examples_per_second_70k",
          null),
      new Row("prepare images/s (70k)", "prepare_images_per_second", null, null),
      new Row("generate embeddings/s (70k)", "generate_embeddings_per_second", null, null),
      new Row(
          "training examples/s through DL4J's own layer (step = dl4j)",
          "dl4j_step_train_examples_per_second",
          null,
          "fused_step_speedup_vs_dl4j"),
      new Row("GEMM GFLOP/s through ND4J", "gemm_gflops", null, null),
      new Row("roofline share", "roofline_share", null, null));

  private BenchMarkdown() {}

  static String render(Map<String, Object> r) {
    StringBuilder md = new StringBuilder("# Benchmark report\n\n");
    md.append("Machine: ")
        .append(r.get("machine"))
        .append("\n\nPyTorch: ")
        .append(r.get("torch_version"))
        .append(", ")
        .append(r.get("torch_threads"))
        .append(" threads\n\n");
    md.append("| figure | ours | PyTorch | ratio |\n| --- | --- | --- | --- |\n");
    for (Row row : ROWS) {
      md.append("| ")
          .append(row.label())
          .append(" | ")
          .append(cell(r.get(row.ours())))
          .append(" | ")
          .append(row.theirs() == null ? "" : cell(r.get(row.theirs())))
          .append(" | ")
          .append(row.ratio() == null ? "" : cell(r.get(row.ratio())))
          .append(" |\n");
    }
    md.append(
            "\nRatios: throughput = ours / PyTorch; time to quality = PyTorch's seconds / ours (above 1: we are "
                + "faster). PyTorch's time to quality and held-out loss are the better of its two learning rates: "
                + "seconds to 115 nats ")
        .append(r.get("torch_seconds_to_115_nats_by_rate"))
        .append(", held-out after 20 epochs ")
        .append(r.get("torch_test_neg_elbo_after_20_epochs_by_rate"))
        .append(" (by Adam rate).\n");
    md.append("\nWorkers scaling (examples/s): ")
        .append(r.get("workers_scaling"))
        .append("\n\nPeak memory (MB): ")
        .append(r.get("peak_memory_mb"))
        .append('\n');
    List<String> reasons = new ArrayList<>();
    r.forEach((k, v) -> {
      if (k.endsWith("_reason")) {
        reasons.add("- `" + k.substring(0, k.length() - "_reason".length()) + "`: " + v);
      }
    });
    if (!reasons.isEmpty()) {
      md.append("\nNot measured:\n").append(String.join("\n", reasons)).append('\n');
    }
    return md.toString();
  }

  private static String cell(Object value) {
    if (value instanceof Double d) {
      return Math.abs(d) >= 100
          ? String.format(Locale.ROOT, "%.0f", d)
          : String.format(Locale.ROOT, "%.2f", d);
    }
    return value == null ? "n/a" : value.toString();
  }
}
