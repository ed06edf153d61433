package org.vaespark.generate;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import javax.imageio.ImageIO;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.vaespark.dataset.Images;

/**
 * Tiles images of the dataset's size (rows of an [n, rows x cols] matrix of intensities in [0, 1]; 28 x 28 digits
 * for MNIST) into one grayscale PNG.
 */
final class ImageGrid {
  private static final int GAP = 2;

  private ImageGrid() {}

  /** Image {@code i} goes to cell (i / columns, i % columns); the background is mid-grey. */
  static byte[] png(INDArray digits, Images.Shape shape, int columns, int scale) {
    int n = digits.rows();
    int rows = (n + columns - 1) / columns;
    int cellWidth = shape.cols() * scale + GAP;
    int cellHeight = shape.rows() * scale + GAP;
    BufferedImage image = new BufferedImage(
        columns * cellWidth + GAP, rows * cellHeight + GAP, BufferedImage.TYPE_BYTE_GRAY);
    fill(image, 128);
    byte[] pixels = Images.toBytes(digits.castTo(DataType.FLOAT).data().asFloat());
    int size = shape.pixels();
    for (int i = 0; i < n; i++) {
      int x0 = GAP + (i % columns) * cellWidth;
      int y0 = GAP + (i / columns) * cellHeight;
      for (int p = 0; p < size; p++) {
        int v = pixels[i * size + p] & 0xFF;
        int rgb = (v << 16) | (v << 8) | v;
        for (int dy = 0; dy < scale; dy++) {
          for (int dx = 0; dx < scale; dx++) {
            image.setRGB(
                x0 + (p % shape.cols()) * scale + dx, y0 + (p / shape.cols()) * scale + dy, rgb);
          }
        }
      }
    }
    return encode(image);
  }

  /**
   * Each original beside its reconstruction (row i of both), {@code pairsPerRow} pairs to a row of the grid, at
   * scale 2.
   */
  static byte[] pairs(
      INDArray originals, INDArray reconstructions, Images.Shape shape, int pairsPerRow) {
    long n = originals.rows();
    INDArray pairs = Nd4j.create(DataType.FLOAT, 2 * n, originals.columns());
    for (long i = 0; i < n; i++) {
      pairs.putRow(2 * i, originals.getRow(i));
      pairs.putRow(2 * i + 1, reconstructions.getRow(i));
    }
    return png(pairs, shape, 2 * pairsPerRow, 2);
  }

  private static void fill(BufferedImage image, int grey) {
    int rgb = (grey << 16) | (grey << 8) | grey;
    for (int y = 0; y < image.getHeight(); y++) {
      for (int x = 0; x < image.getWidth(); x++) {
        image.setRGB(x, y, rgb);
      }
    }
  }

  private static byte[] encode(BufferedImage image) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      ImageIO.write(image, "png", out);
    } catch (IOException e) {
      throw new IllegalStateException("cannot encode PNG", e);
    }
    return out.toByteArray();
  }
}
