package org.vaespark.testing;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import javax.imageio.ImageIO;

/** The bundled sample's real digits as encoded images (PNG, JPEG), for the image-folder and Parquet sources. */
public final class TestImages {
  private TestImages() {}

  /** Sample digit {@code i} (28 x 28 gray bytes). */
  public static byte[] digit(int i) {
    return Arrays.copyOfRange(TestData.pixels(i + 1), i * 784, (i + 1) * 784);
  }

  /** Gray pixels of {@code height} x {@code width} as an image of that kind. */
  public static BufferedImage gray(byte[] pixels, int height, int width) {
    BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_BYTE_GRAY);
    image.getRaster().setDataElements(0, 0, width, height, pixels);
    return image;
  }

  /** The image encoded in {@code format} ("png", "jpg", "bmp"). */
  public static byte[] encode(BufferedImage image, String format) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      if (!ImageIO.write(image, format, out)) {
        throw new IllegalArgumentException("no ImageIO writer for " + format);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  /** Sample digit {@code i} as an 8-bit grayscale PNG. */
  public static byte[] png(int i) {
    return encode(gray(digit(i), 28, 28), "png");
  }

  /** Sample digit {@code i} scaled up by {@code factor} (each pixel a factor x factor square), as a colour image. */
  public static BufferedImage colourScaled(int i, int factor) {
    byte[] digit = digit(i);
    int side = 28 * factor;
    BufferedImage image = new BufferedImage(side, side, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < side; y++) {
      for (int x = 0; x < side; x++) {
        int v = digit[(y / factor) * 28 + x / factor] & 0xFF;
        image.setRGB(x, y, (v << 16) | (v << 8) | v);
      }
    }
    return image;
  }

  public static void write(Path file, byte[] content) {
    try {
      Files.createDirectories(file.getParent());
      Files.write(file, content);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
