package org.vaespark.bench;

import java.util.List;
import java.util.Locale;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.vaespark.config.Settings;
import org.vaespark.dataset.Images;
import org.vaespark.model.FusedVaeStep;
import org.vaespark.model.VaeNetworks;
import org.vaespark.runtime.NativeBuilds;
import org.vaespark.runtime.NativeThreads;
import org.vaespark.runtime.OpenBlasCores;

/**
 * The fused training step alone, as one training task runs it: the model's default architecture, batch 128, one
 * native thread, the loss computed on every {@code F}-th step, on random pixels. Prints one JSON object with the
 * milliseconds per step and examples per second. Run it under a profiler (JFR, perf) to see where a step's time
 * goes. Usage: {@code StepProbe SECONDS [KERNEL]}.
 */
public final class StepProbe {
  private static final int BATCH = 128;
  private static final int LOSS_EVERY = 20;

  private StepProbe() {}

  public static void main(String[] args) {
    NativeBuilds.configure(args.length > 1 ? args[1] : OpenBlasCores.AUTO);
    double seconds = Double.parseDouble(args[0]);
    NativeThreads.limit(1);
    Settings.ModelSettings model =
        new Settings.ModelSettings(List.of(400), List.of(400), 20, "relu");
    MultiLayerNetwork network = new MultiLayerNetwork(VaeNetworks.configuration(model, 3e-3, 42));
    network.init();
    FusedVaeStep step = new FusedVaeStep(
        network.getLayerWiseConfigurations(),
        network.params(),
        network.getUpdater().getStateViewArray());
    INDArray x = Nd4j.rand(DataType.FLOAT, BATCH, Images.PIXELS);
    run(step, x, 0.2 * seconds); // warm-up
    double perStep = run(step, x, seconds);
    System.out.printf(
        Locale.ROOT,
        "{\"step_ms\": %.3f, \"examples_per_second\": %.0f, \"batch\": %d, \"threads\": 1, "
            + "\"openblas_kernel\": \"%s\"}%n",
        perStep * 1e3,
        BATCH / perStep,
        BATCH,
        OpenBlasCores.inUse());
  }

  /** Seconds per step over about {@code seconds} of steps. */
  private static double run(FusedVaeStep step, INDArray x, double seconds) {
    long deadline = System.nanoTime() + (long) (seconds * 1e9);
    long t0 = System.nanoTime();
    int steps = 0;
    while (System.nanoTime() < deadline) {
      step.fit(x, steps, 0, steps % LOSS_EVERY == LOSS_EVERY - 1);
      steps++;
    }
    return (System.nanoTime() - t0) / 1e9 / steps;
  }
}
