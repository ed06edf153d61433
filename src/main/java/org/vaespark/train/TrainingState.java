package org.vaespark.train;

import java.util.List;
import org.vaespark.config.Settings;
import org.vaespark.model.EpochMetrics;

/**
 * The training loop's state after a checkpointed epoch ({@code checkpoint.json}); the network's parameters,
 * Adam state and iteration count are in the checkpoint's {@code model.zip}.
 *
 * @param epoch epochs completed
 * @param iterations averaging-round iterations completed (the network's iteration count)
 * @param seed the training seed; every random stream is derived from it, the epoch and the iteration (see
 *     {@link Seeds}), so a resumed run draws what the uninterrupted run would have drawn
 * @param history metrics of every completed epoch
 * @param trainingSeconds training time spent so far, over all runs
 * @param datasetFingerprint fingerprint of the data trained on; resuming on other data is refused
 * @param model the architecture; resuming with another one is refused
 */
public record TrainingState(
    int epoch,
    int iterations,
    long seed,
    List<EpochMetrics> history,
    double trainingSeconds,
    String datasetFingerprint,
    Settings.ModelSettings model,
    String createdAt) {}
