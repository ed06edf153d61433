package org.vaespark.runtime;

import java.util.List;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.vaespark.config.Settings;
import org.vaespark.model.VaeNetworks;
import org.vaespark.testing.TestData;

/**
 * Run in a child JVM: chooses the native build and OpenBLAS kernel as the tool does, takes one VAE training step,
 * reports the choices, the library loaded and the kernel OpenBLAS says it uses.
 */
public final class TrainingStepProbe {
  private TrainingStepProbe() {}

  public static void main(String[] args) {
    NativeBuilds.Choice choice = NativeBuilds.configure();
    MultiLayerNetwork network = new MultiLayerNetwork(VaeNetworks.configuration(
        new Settings.ModelSettings(List.of(64), List.of(64), 4, "relu"), 1e-3, 7));
    network.init();
    INDArray x = TestData.features(32);
    INDArray before = network.params().dup();
    network.pretrainLayer(0, x);
    double change = network.params().sub(before).norm2Number().doubleValue();
    System.out.println("probe build=" + choice.build().name() + " explicit=" + choice.explicit());
    System.out.println("probe loaded=" + NativeBuilds.loadedLibrary());
    System.out.println("probe score=" + network.getLayer(0).score() + " change=" + change);
    OpenBlasCores.Choice blas = NativeBuilds.openblas().orElseThrow();
    System.out.println("probe openblas chosen="
        + (blas.core() == null ? "none" : blas.core().coreName()) + " inuse="
        + OpenBlasCores.inUse()
        + " replaced=" + blas.replacesInherited());
  }
}
