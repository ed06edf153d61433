package org.vaespark.generate;

import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
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
    return png(digits, shape, columns, scale, null);
  }

  /** As {@link #png(INDArray, Images.Shape, int, int)}, with {@code caption} (null: none) above the grid. */
  static byte[] png(INDArray digits, Images.Shape shape, int columns, int scale, String caption) {
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
    return encode(caption == null ? image : captioned(image, caption));
  }

  /** The grid under a caption that says what its columns are, wrapped to the grid's width (at least 360 px). */
  static BufferedImage captioned(BufferedImage grid, String caption) {
    int width = Math.max(grid.getWidth(), 360);
    Font font = new Font(Font.SANS_SERIF, Font.PLAIN, 11);
    BufferedImage probe = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB);
    Graphics2D g0 = probe.createGraphics();
    FontMetrics metrics = g0.getFontMetrics(font);
    g0.dispose();
    List<String> lines = new ArrayList<>();
    for (String paragraph : caption.split("\n")) {
      StringBuilder line = new StringBuilder();
      for (String word : paragraph.split(" ")) {
        String next = line.length() == 0 ? word : line + " " + word;
        if (metrics.stringWidth(next) > width - 8 && line.length() > 0) {
          lines.add(line.toString());
          line = new StringBuilder(word);
        } else {
          line = new StringBuilder(next);
        }
      }
      lines.add(line.toString());
    }
    int lineHeight = metrics.getHeight();
    int top = lines.size() * lineHeight + 6;
    BufferedImage out =
        new BufferedImage(width, grid.getHeight() + top, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = out.createGraphics();
    try {
      g.setColor(Color.WHITE);
      g.fillRect(0, 0, out.getWidth(), out.getHeight());
      g.setRenderingHint(
          RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
      g.setFont(font);
      g.setColor(Color.BLACK);
      for (int i = 0; i < lines.size(); i++) {
        g.drawString(lines.get(i), 4, 3 + metrics.getAscent() + i * lineHeight);
      }
      g.drawImage(grid, 0, top, null);
    } finally {
      g.dispose();
    }
    return out;
  }

  /**
   * Each original beside its reconstruction (row i of both), {@code pairsPerRow} pairs to a row of the grid, at
   * scale 2.
   */
  static byte[] pairs(
      INDArray originals,
      INDArray reconstructions,
      Images.Shape shape,
      int pairsPerRow,
      String caption) {
    long n = originals.rows();
    INDArray pairs = Nd4j.create(DataType.FLOAT, 2 * n, originals.columns());
    for (long i = 0; i < n; i++) {
      pairs.putRow(2 * i, originals.getRow(i));
      pairs.putRow(2 * i + 1, reconstructions.getRow(i));
    }
    return png(pairs, shape, 2 * pairsPerRow, 2, caption);
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
