package org.vaespark.model;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Locale;

/**
 * What {@code evaluate} measured of a model on the held-out split: the negative ELBO per example split into
 * reconstruction and KL (the same batches and noise as {@code train} uses after every epoch), and the
 * importance-sampled estimate of log p(x) per example with {@code importanceSamples} samples. Written to
 * {@code evaluation.json} and into the model's {@code metadata.json}.
 */
public record Evaluation(
    @JsonProperty("model_version") String modelVersion,
    @JsonProperty("test_examples") long testExamples,
    @JsonProperty("test_neg_elbo") double testNegElbo,
    @JsonProperty("test_reconstruction") double testReconstruction,
    @JsonProperty("test_kl") double testKl,
    @JsonProperty("test_log_px") double testLogPx,
    @JsonProperty("importance_samples") int importanceSamples,
    @JsonProperty("seconds") double seconds,
    @JsonProperty("evaluated_at") String evaluatedAt) {

  /** A short Markdown page for people. */
  public String markdown() {
    return String.format(
        Locale.ROOT,
        """
        # Evaluation of model %s

        Held-out split, %d examples, evaluated %s in %.1f s.

        | measure | nats per example |
        | --- | --- |
        | negative ELBO (one-sample) | %.2f |
        | of which reconstruction | %.2f |
        | of which KL | %.2f |
        | log p(x), importance-sampled with k = %d | %.2f |

        The importance-sampled estimate (Burda et al., 2016) is a tighter lower bound on log p(x) than the ELBO;
        -log p(x) is the figure to compare with published VAE results.
        """,
        modelVersion,
        testExamples,
        evaluatedAt,
        seconds,
        testNegElbo,
        testReconstruction,
        testKl,
        importanceSamples,
        testLogPx);
  }
}
