package org.vaespark.cli;

import java.io.PrintWriter;
import java.util.Locale;
import org.vaespark.evaluate.EvaluateJob;
import org.vaespark.generate.GenerateJob;
import org.vaespark.neighbors.NeighborsJob;
import org.vaespark.prepare.PrepareJob;
import org.vaespark.retrain.RetrainJob;
import org.vaespark.score.ScoreJob;
import org.vaespark.train.TrainJob;

/** The short report printed at the end of each job: where each output went and the final held-out loss. */
final class Summary {
  private Summary() {}

  static void prepared(PrintWriter out, PrepareJob.Result r) {
    out.printf(
        Locale.ROOT,
        "dataset      %s  (%d train / %d test examples, %s)%n",
        r.dataset(),
        r.manifest().trainExamples(),
        r.manifest().testExamples(),
        r.manifest().fingerprint());
    out.printf(
        Locale.ROOT,
        "time         prepare %d images in %.2f s (%.0f images/s)%n",
        r.images(),
        r.seconds(),
        r.images() / r.seconds());
    out.flush();
  }

  static void trained(PrintWriter out, TrainJob.Result r) {
    out.printf(Locale.ROOT, "model        %s  (version %s)%n", r.modelPath(), r.modelVersion());
    out.printf(
        Locale.ROOT,
        "final loss   held-out negative ELBO %.2f nats/example (reconstruction %.2f + KL %.2f), train %.2f, after %d epochs%n",
        r.finalMetrics().testNegElbo(),
        r.finalMetrics().testReconstruction(),
        r.finalMetrics().testKl(),
        r.finalMetrics().trainNegElbo(),
        r.finalMetrics().epoch());
    out.flush();
  }

  static void generated(PrintWriter out, GenerateJob.Result r) {
    String f = r.folder();
    out.printf(
        Locale.ROOT,
        "samples      %s/%s (Parquet), %s/%s%n",
        f,
        GenerateJob.SAMPLES,
        f,
        GenerateJob.SAMPLES_PNG);
    out.printf(Locale.ROOT, "recons       %s/%s%n", f, GenerateJob.RECONSTRUCTIONS_PNG);
    out.printf(
        Locale.ROOT,
        "embeddings   %s/%s (Parquet, %d rows)%n",
        f,
        GenerateJob.EMBEDDINGS,
        r.embeddings());
    out.printf(
        Locale.ROOT,
        "plots        %s/%s, %s/%s%n",
        f,
        GenerateJob.LOSS_PNG,
        f,
        GenerateJob.SCATTER_PNG);
    out.printf(
        Locale.ROOT,
        "time         generate %.2f s, embeddings of %d examples in %.2f s (%.0f examples/s)%n",
        r.seconds(),
        r.embeddings(),
        r.embeddingSeconds(),
        r.embeddings() / r.embeddingSeconds());
    out.flush();
  }

  static void evaluated(PrintWriter out, EvaluateJob.Result r) {
    out.printf(
        Locale.ROOT,
        "evaluation   %s/%s: held-out log p(x) %.2f nats/example (importance-sampled, k = %d), "
            + "ELBO %.2f%n",
        r.folder(),
        EvaluateJob.JSON,
        r.evaluation().testLogPx(),
        r.evaluation().importanceSamples(),
        -r.evaluation().testNegElbo());
    out.flush();
  }

  static void retrained(PrintWriter out, RetrainJob.Result r) {
    out.printf(
        Locale.ROOT,
        "dataset      %s%n",
        r.datasetRewritten() ? "rewritten (the input changed)" : "up to date (input unchanged)");
    out.printf(
        Locale.ROOT,
        "version      %s  %s%n",
        r.version(),
        r.decision().promoted() ? "PROMOTED" : "NOT PROMOTED");
    out.printf(Locale.ROOT, "gate         %s%n", r.decision().reason());
    r.current()
        .ifPresent(p -> out.printf(
            Locale.ROOT,
            "current      %s  (model %s, embeddings %s)%n",
            p.version(),
            p.model(),
            p.embeddings()));
    out.flush();
  }

  static void scored(PrintWriter out, ScoreJob.Result r) {
    out.printf(
        Locale.ROOT,
        "scored       %s/%s (Parquet, %d images of %s, model %s)%n",
        r.folder(),
        ScoreJob.TABLE,
        r.images(),
        r.input(),
        r.modelVersion());
    if (r.threshold() == null) {
      out.printf(
          Locale.ROOT,
          "anomalies    none flagged: the model records no anomaly threshold (retrain it)%n");
    } else {
      out.printf(
          Locale.ROOT,
          "anomalies    %d of %d (%.2f%%) below log_px %.2f nats, the %s quantile of the model's train split%n",
          r.anomalies(),
          r.images(),
          100 * r.anomalyShare(),
          r.threshold().logPxThreshold(),
          r.threshold().quantile());
    }
    out.printf(Locale.ROOT, "time         score %.2f s%n", r.seconds());
    out.flush();
  }

  static void neighbors(PrintWriter out, NeighborsJob.Result r) {
    out.printf(
        Locale.ROOT,
        "neighbors    %s/%s (Parquet: %d nearest of %d train embeddings for each of %d images, %s, model %s)%n",
        r.folder(),
        NeighborsJob.TABLE,
        r.k(),
        r.reference(),
        r.queries(),
        r.method(),
        r.modelVersion());
    out.flush();
  }
}
