package org.vaespark.generate;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.apache.commons.math3.distribution.NormalDistribution;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dimensionalityreduction.PCA;
import org.nd4j.linalg.factory.Nd4j;
import org.vaespark.dataset.Images;
import org.vaespark.model.VaeWeights;
import tagbio.umap.Umap;

/**
 * Pictures of the latent space, decoded by the model: the latent manifold, interpolations between test digits,
 * and the least and most likely test digits of each label beside their reconstructions.
 */
final class LatentViews {
  /** One test example: its label, pixels in [0, 1], latent mean and importance-sampled log p(x). */
  record Example(long id, int label, float[] pixels, float[] zMean, double logPx) {}

  private static final int MANIFOLD_SIDE = 15;
  private static final int INTERPOLATION_STEPS = 10;
  private static final int PER_END = 2;
  /** Rows of the interpolation and anomaly pictures: one per label, MNIST's ten at most. */
  private static final int MAX_ROWS = 10;

  private LatentViews() {}

  /**
   * Digits decoded on a grid over the latent plane at the normal quantiles (Kingma and Welling's figure): for
   * z of 2 dimensions over z itself, for more along the two principal directions of the test embeddings,
   * scaled by their spread, with the other directions at the mean.
   */
  static byte[] manifold(VaeWeights weights, List<Example> test, Images.Shape shape) {
    int d = weights.latentSize();
    INDArray means = Nd4j.create(zMeans(test)).castTo(DataType.DOUBLE);
    INDArray centre = means.mean(0).reshape(1, d);
    INDArray[] axes = new INDArray[2];
    if (d == 2) {
      axes[0] = Nd4j.create(new double[] {1, 0}, new long[] {1, 2}, DataType.DOUBLE);
      axes[1] = Nd4j.create(new double[] {0, 1}, new long[] {1, 2}, DataType.DOUBLE);
      centre.assign(0);
    } else {
      INDArray centred = means.subRowVector(centre);
      INDArray factors = PCA.pca_factor(centred.dup(), 2, false);
      for (int a = 0; a < 2; a++) {
        INDArray direction = factors.getColumn(a).reshape(1, d);
        double spread = centred.mmul(direction.transpose()).stdNumber().doubleValue();
        axes[a] = direction.mul(spread);
      }
    }
    NormalDistribution normal = new NormalDistribution();
    INDArray z = Nd4j.create(DataType.DOUBLE, (long) MANIFOLD_SIDE * MANIFOLD_SIDE, d);
    for (int row = 0; row < MANIFOLD_SIDE; row++) {
      double v = normal.inverseCumulativeProbability(1 - (row + 0.5) / MANIFOLD_SIDE);
      for (int col = 0; col < MANIFOLD_SIDE; col++) {
        double u = normal.inverseCumulativeProbability((col + 0.5) / MANIFOLD_SIDE);
        z.putRow((long) row * MANIFOLD_SIDE + col, centre.add(axes[0].mul(u)).addi(axes[1].mul(v)));
      }
    }
    return ImageGrid.png(weights.decode(z.castTo(DataType.FLOAT)), shape, MANIFOLD_SIDE, 2);
  }

  /**
   * Rows of images decoded along the line between the latent means of the first test example of label r and of
   * the next label present (for MNIST, of r + 1); with fewer than two labels (unlabelled data), between
   * consecutive test examples.
   */
  static byte[] interpolations(VaeWeights weights, List<Example> test, Images.Shape shape) {
    int d = weights.latentSize();
    List<Integer> labels = labels(test);
    List<Example[]> ends = new ArrayList<>();
    if (labels.size() >= 2) {
      for (int i = 0; i < labels.size(); i++) {
        ends.add(new Example[] {
          firstOf(test, labels.get(i)), firstOf(test, labels.get((i + 1) % labels.size()))
        });
      }
    } else {
      List<Example> byId =
          test.stream().sorted(Comparator.comparingLong(Example::id)).toList();
      for (int i = 0; i + 1 < byId.size() && ends.size() < MAX_ROWS; i += 2) {
        ends.add(new Example[] {byId.get(i), byId.get(i + 1)});
      }
    }
    List<INDArray> rows = new ArrayList<>();
    for (Example[] pair : ends) {
      INDArray a = Nd4j.create(pair[0].zMean(), new long[] {1, d}, DataType.FLOAT);
      INDArray b = Nd4j.create(pair[1].zMean(), new long[] {1, d}, DataType.FLOAT);
      for (int s = 0; s < INTERPOLATION_STEPS; s++) {
        double t = s / (double) (INTERPOLATION_STEPS - 1);
        rows.add(a.mul(1 - t).addi(b.mul(t)));
      }
    }
    String caption = labels.size() >= 2
        ? "One row per label r: " + INTERPOLATION_STEPS
            + " images decoded at evenly spaced points on the line "
            + "from the z_mean of the first test image of label r (first column) to that of the next label "
            + "(last column); rows in label order " + joined(labels) + "."
        : "One row per pair of consecutive test images (by id): " + INTERPOLATION_STEPS
            + " images decoded at "
            + "evenly spaced points on the line between their z_means (first and last columns).";
    return ImageGrid.png(weights.decode(Nd4j.vstack(rows)), shape, INTERPOLATION_STEPS, 2, caption);
  }

  /** The labels of the test examples, in order, at most {@value #MAX_ROWS} (one row each in a picture). */
  private static List<Integer> labels(List<Example> test) {
    return test.stream().map(Example::label).distinct().sorted().limit(MAX_ROWS).toList();
  }

  /**
   * One row per label (at most {@value #MAX_ROWS}; one row for unlabelled data): the {@value #PER_END} least likely
   * test examples by log p(x), then the {@value #PER_END} most likely, each followed by its reconstruction
   * (decoded at its latent mean).
   */
  static byte[] anomalies(VaeWeights weights, List<Example> test, Images.Shape shape) {
    List<Example> chosen = new ArrayList<>();
    for (int l : labels(test)) {
      List<Example> ofLabel = test.stream()
          .filter(e -> e.label() == l)
          .sorted(Comparator.comparingDouble(Example::logPx))
          .toList();
      if (ofLabel.size() < 2 * PER_END) {
        continue;
      }
      chosen.addAll(ofLabel.subList(0, PER_END));
      chosen.addAll(ofLabel.subList(ofLabel.size() - PER_END, ofLabel.size()));
    }
    int d = weights.latentSize();
    INDArray x = Nd4j.create(
        DataType.FLOAT, chosen.size(), chosen.isEmpty() ? 0 : chosen.get(0).pixels().length);
    INDArray z = Nd4j.create(DataType.FLOAT, chosen.size(), d);
    for (int i = 0; i < chosen.size(); i++) {
      x.putRow(i, Nd4j.createFromArray(chosen.get(i).pixels()));
      z.putRow(i, Nd4j.createFromArray(chosen.get(i).zMean()));
    }
    return ImageGrid.pairs(
        x,
        weights.decode(z),
        shape,
        2 * PER_END,
        "One row per label (" + joined(labels(test)) + "): columns 1-" + (2 * PER_END)
            + " the " + PER_END + " least likely test images by log_px, columns "
            + (2 * PER_END + 1) + "-"
            + (4 * PER_END) + " the " + PER_END
            + " most likely; each image followed by its reconstruction "
            + "(decoded at its z_mean).");
  }

  private static String joined(List<Integer> labels) {
    return labels.stream().map(String::valueOf).collect(java.util.stream.Collectors.joining(", "));
  }

  private static Example firstOf(List<Example> test, int label) {
    return test.stream()
        .filter(e -> e.label() == label)
        .min(Comparator.comparingLong(Example::id))
        .orElse(null);
  }

  private static float[][] zMeans(List<Example> test) {
    return test.stream().map(Example::zMean).toArray(float[][]::new);
  }

  /**
   * The test embeddings by label: the latent means themselves in 1 or 2 dimensions, else their first two
   * principal components.
   */
  static byte[] scatter(List<Example> test, String version) {
    int d = test.isEmpty() ? 0 : test.get(0).zMean().length;
    int[] labels = test.stream().mapToInt(Example::label).toArray();
    String axis = d > 2 ? "PC" : "z";
    String title =
        "Test embeddings (z mean" + (d > 2 ? ", PCA of " + d + "-D" : "") + ") " + version;
    return Plots.scatterByLabel(plane(zMeans(test)), labels, title, axis + "1", axis + "2");
  }

  /**
   * A UMAP layout (McInnes et al., 2018; Tag.bio's Java implementation) of at most {@code points} test embeddings,
   * a random sample chosen with {@code seed}, coloured by label: neighbourhoods that the PCA plane squashes.
   */
  static byte[] umap(List<Example> test, String version, int points, long seed) {
    List<Example> sample = new ArrayList<>(test);
    java.util.Collections.shuffle(sample, new java.util.Random(seed));
    sample = sample.subList(0, Math.min(points, sample.size()));
    float[][] layout = new Umap()
        .setNumberComponents(2)
        .setNumberNearestNeighbours(15)
        .setMinDist(0.1f)
        .setNumberEpochs(200)
        .setSeed(seed)
        .setThreads(1)
        .setVerbose(false)
        .fitTransform(zMeans(sample));
    double[][] xy = new double[layout.length][2];
    for (int i = 0; i < layout.length; i++) {
      xy[i][0] = layout[i][0];
      xy[i][1] = layout[i][1];
    }
    int[] labels = sample.stream().mapToInt(Example::label).toArray();
    return Plots.scatterByLabel(
        xy,
        labels,
        "Test embeddings (z mean, UMAP of " + sample.size() + " points) " + version,
        "UMAP 1",
        "UMAP 2");
  }

  /** Latent vectors as points in a plane: as they are in 1 or 2 dimensions, else their first two principal components. */
  private static double[][] plane(float[][] z) {
    int n = z.length;
    int latentSize = n == 0 ? 0 : z[0].length;
    INDArray points = Nd4j.create(z).castTo(DataType.DOUBLE);
    if (latentSize > 2) {
      points.subiRowVector(points.mean(0));
      points = points.mmul(PCA.pca_factor(points.dup(), 2, false));
    }
    double[][] xy = new double[n][2];
    for (int i = 0; i < n; i++) {
      xy[i][0] = points.getDouble(i, 0);
      xy[i][1] = latentSize > 1 ? points.getDouble(i, 1) : 0.0;
    }
    return xy;
  }
}
