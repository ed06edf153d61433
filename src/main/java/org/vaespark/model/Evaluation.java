package org.vaespark.model;

import java.util.Locale;

/**
 * What {@code evaluate} measured of a model on the held-out split: the negative ELBO per example split into
 * reconstruction and KL (the same batches and noise as {@code train} uses after every epoch), and the
 * importance-sampled estimate of log p(x) per example with {@code importanceSamples} samples, and the share of
 * held-out examples whose label is the majority label of their {@code knnK} nearest train embeddings in
 * {@code z_mean} space ({@code knnAccuracy}; NaN for unlabelled data). Written to
 * {@code evaluation.json} and into the model's {@code metadata.json}.
 */
public record Evaluation(
    String modelVersion,
    long testExamples,
    double testNegElbo,
    double testReconstruction,
    double testKl,
    double testLogPx,
    int importanceSamples,
    double seconds,
    String evaluatedAt,
    int knnK,
    double knnAccuracy) {

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

        k-nearest-neighbour label accuracy of the held-out z_mean against the train embeddings (k = %d): %.4f

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
        testLogPx,
        knnK,
        knnAccuracy);
  }
}
