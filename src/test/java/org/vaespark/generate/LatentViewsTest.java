package org.vaespark.generate;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.vaespark.config.Settings;
import org.vaespark.config.SettingsLoader;
import org.vaespark.dataset.Images;
import org.vaespark.model.VaeNetworks;
import org.vaespark.model.VaeWeights;

/** The latent pictures follow the dataset: its image size, its labels (any number, or none). */
class LatentViewsTest {
  private final Settings settings = SettingsLoader.load(
      null,
      Map.of("vae.model.encoder-layer-sizes", "[16]", "vae.model.decoder-layer-sizes", "[16]"));

  private static List<LatentViews.Example> examples(int n, int labels, Images.Shape shape) {
    SplittableRandom random = new SplittableRandom(5);
    List<LatentViews.Example> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      float[] pixels = new float[shape.pixels()];
      float[] z = new float[20];
      for (int p = 0; p < pixels.length; p++) {
        pixels[p] = (float) random.nextDouble();
      }
      for (int k = 0; k < z.length; k++) {
        z[k] = (float) random.nextGaussian();
      }
      int label = labels == 0 ? -1 : i % labels;
      out.add(new LatentViews.Example(i, label, pixels, z, -random.nextDouble() * 100));
    }
    return out;
  }

  private static BufferedImage image(byte[] png) throws IOException {
    return ImageIO.read(new ByteArrayInputStream(png));
  }

  /**
   * The height of a picture's grid, below its caption: the caption is drawn on white from x = 4, the grid's
   * 2-pixel border is grey, so the grid starts at the first row whose left-most pixel is not white (whatever
   * font the machine has).
   */
  private static int gridHeight(byte[] png) throws IOException {
    BufferedImage image = image(png);
    int top = 0;
    while (top < image.getHeight() && (image.getRGB(0, top) & 0xFFFFFF) == 0xFFFFFF) {
      top++;
    }
    assertThat(top).as("a caption above the grid").isPositive();
    return image.getHeight() - top;
  }

  @Test
  void unlabelledImagesOf64x64() throws IOException {
    Images.Shape shape = new Images.Shape(64, 64);
    VaeWeights weights =
        VaeWeights.of(VaeNetworks.create(settings.model(), settings.training(), shape.pixels()));
    List<LatentViews.Example> test = examples(30, 0, shape);
    // 15 x 15 cells of 64 x 2 pixels and 2-pixel gaps.
    assertThat(image(LatentViews.manifold(weights, test, shape)).getWidth())
        .isEqualTo(15 * (64 * 2 + 2) + 2);
    // Unlabelled: interpolations between consecutive examples, ten rows at most.
    assertThat(gridHeight(LatentViews.interpolations(weights, test, shape)))
        .isEqualTo(10 * (64 * 2 + 2) + 2);
    // One row: the least and most likely of all.
    assertThat(gridHeight(LatentViews.anomalies(weights, test, shape))).isEqualTo(64 * 2 + 2 + 2);
    assertThat(image(LatentViews.scatter(test, "v"))).isNotNull();
  }

  @Test
  void moreThanTenLabelsGiveTenRows() throws IOException {
    Images.Shape shape = Images.Shape.DEFAULT;
    VaeWeights weights = VaeWeights.of(VaeNetworks.create(settings.model(), settings.training()));
    List<LatentViews.Example> test = examples(150, 15, shape);
    assertThat(gridHeight(LatentViews.interpolations(weights, test, shape)))
        .isEqualTo(10 * (28 * 2 + 2) + 2);
    assertThat(gridHeight(LatentViews.anomalies(weights, test, shape)))
        .isEqualTo(10 * (28 * 2 + 2) + 2);
    assertThat(image(LatentViews.scatter(test, "v"))).isNotNull();
  }
}
