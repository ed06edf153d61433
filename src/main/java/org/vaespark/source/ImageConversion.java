package org.vaespark.source;

import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.List;
import javax.imageio.ImageIO;
import org.vaespark.dataset.Images;
import org.vaespark.error.InputFileException;

/**
 * Turns what an image folder or a Parquet table holds into the dataset's pixels: 8-bit grayscale, row-major, of the
 * dataset's size. Encoded images (PNG, JPEG, BMP, GIF, WBMP: whatever ImageIO reads) are decoded; 8-bit and
 * 16-bit grayscale images keep their own values, others become luminance (ITU-R BT.601: 0.299 R + 0.587 G + 0.114
 * B; alpha is ignored); an image of another size is resized (bilinear, halving step by step when shrinking by more
 * than half). Every failure names {@code source}, the file the image came from.
 */
final class ImageConversion {
  private ImageConversion() {}

  /** Whether {@code bytes} start like an encoded image ImageIO may read: PNG, JPEG, GIF, BMP. */
  static boolean looksEncoded(byte[] bytes) {
    return startsWith(bytes, 0x89, 'P', 'N', 'G')
        || startsWith(bytes, 0xFF, 0xD8, 0xFF)
        || startsWith(bytes, 'G', 'I', 'F', '8')
        || startsWith(bytes, 'B', 'M');
  }

  /** Decodes an encoded image and converts it to the dataset's pixels. */
  static byte[] decode(byte[] encoded, Images.Shape shape, String source) {
    BufferedImage image;
    try {
      image = ImageIO.read(new ByteArrayInputStream(encoded));
    } catch (IOException | RuntimeException e) {
      throw new InputFileException(source + ": corrupt image, it cannot be decoded ("
          + e.getMessage() + "): replace or remove the file");
    }
    if (image == null) {
      throw new InputFileException(
          source
              + ": not an image (PNG, JPEG, BMP, GIF or WBMP, as ImageIO reads them): remove it from the input");
    }
    return resize(gray(image), image.getHeight(), image.getWidth(), shape);
  }

  /**
   * Raw 8-bit grayscale pixels: exactly the dataset's size, or any square image (side x side bytes), resized.
   */
  static byte[] raw(byte[] pixels, Images.Shape shape, String source, String what) {
    if (pixels.length == shape.pixels()) {
      return pixels;
    }
    int side = squareSide(pixels.length);
    if (side > 0) {
      return resize(pixels, side, side, shape);
    }
    throw new InputFileException(source + ": " + what + " holds " + pixels.length
        + " values: neither an encoded image (PNG, JPEG, BMP, GIF) nor " + shape.pixels()
        + " pixels (" + shape + ") nor a square image; check the column or vae.prepare.image-size");
  }

  /**
   * An array of numbers: integers are 8-bit intensities (0..255), floating-point values intensities in [0, 1];
   * as many as the dataset's pixels, or a square image.
   */
  static byte[] numbers(List<?> values, Images.Shape shape, String source, String what) {
    byte[] pixels = new byte[values.size()];
    for (int i = 0; i < pixels.length; i++) {
      Object value = values.get(i);
      double v;
      if (value instanceof Float || value instanceof Double) {
        double unit = ((Number) value).doubleValue();
        if (!(unit >= 0 && unit <= 1)) {
          throw new InputFileException(source + ": " + what + " holds " + value + " at index " + i
              + ": floating-point intensities must be in [0, 1]");
        }
        v = unit * 255;
      } else if (value instanceof Number number) {
        v = number.longValue();
        if (v < 0 || v > 255) {
          throw new InputFileException(source + ": " + what + " holds " + value + " at index " + i
              + ": integer intensities must be in 0..255");
        }
      } else {
        throw new InputFileException(source + ": " + what + " holds "
            + (value == null ? "a null" : value.getClass().getSimpleName()) + " at index " + i
            + ": expected numbers");
      }
      pixels[i] = (byte) Math.round(v);
    }
    return raw(pixels, shape, source, what);
  }

  /**
   * An image of Spark's image data source (height, width, channels, and OpenCV-ordered bytes: gray, BGR or
   * BGRA, row-major).
   */
  static byte[] sparkImage(
      int height, int width, int channels, byte[] data, Images.Shape shape, String source) {
    if (height <= 0
        || width <= 0
        || data == null
        || (long) height * width * channels != data.length
        || !(channels == 1 || channels == 3 || channels == 4)) {
      throw new InputFileException(source + ": an image struct of " + height + "x" + width + "x"
          + channels + " holds " + (data == null ? 0 : data.length)
          + " bytes: expected 1, 3 or 4 channels of 8 bits, row-major");
    }
    byte[] gray = new byte[height * width];
    for (int p = 0; p < gray.length; p++) {
      if (channels == 1) {
        gray[p] = data[p];
      } else {
        int b = data[p * channels] & 0xFF;
        int g = data[p * channels + 1] & 0xFF;
        int r = data[p * channels + 2] & 0xFF;
        gray[p] = luminance(r, g, b);
      }
    }
    return resize(gray, height, width, shape);
  }

  /** The image's 8-bit gray values, row-major: a gray image's own values, else the luminance of its colours. */
  static byte[] gray(BufferedImage image) {
    int width = image.getWidth();
    int height = image.getHeight();
    byte[] out = new byte[width * height];
    Raster raster = image.getRaster();
    boolean gray = image.getColorModel().getColorSpace().getType() == ColorSpace.TYPE_GRAY
        && !(image.getColorModel() instanceof IndexColorModel)
        && raster.getNumBands() <= 2;
    if (gray) {
      int bits = image.getColorModel().getComponentSize(0);
      int max = (1 << bits) - 1;
      for (int y = 0; y < height; y++) {
        for (int x = 0; x < width; x++) {
          int v = raster.getSample(x, y, 0);
          out[y * width + x] = (byte) (bits == 8 ? v : Math.round(v * 255.0 / max));
        }
      }
      return out;
    }
    for (int y = 0; y < height; y++) {
      for (int x = 0; x < width; x++) {
        int rgb = image.getRGB(x, y);
        out[y * width + x] = luminance((rgb >> 16) & 0xFF, (rgb >> 8) & 0xFF, rgb & 0xFF);
      }
    }
    return out;
  }

  /** Gray pixels of {@code height} x {@code width} at the dataset's size. */
  static byte[] resize(byte[] gray, int height, int width, Images.Shape shape) {
    if (height == shape.rows() && width == shape.cols()) {
      return gray;
    }
    BufferedImage image = grayImage(gray, width, height);
    int w = width;
    int h = height;
    do {
      // Halve at most per step when shrinking, so that bilinear sampling does not skip pixels.
      w = Math.max(shape.cols(), w > shape.cols() ? (w + 1) / 2 : shape.cols());
      h = Math.max(shape.rows(), h > shape.rows() ? (h + 1) / 2 : shape.rows());
      BufferedImage scaled = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
      Graphics2D g = scaled.createGraphics();
      try {
        g.setRenderingHint(
            RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
        g.drawImage(image, 0, 0, w, h, null);
      } finally {
        g.dispose();
      }
      image = scaled;
    } while (w != shape.cols() || h != shape.rows());
    return ((DataBufferByte) image.getRaster().getDataBuffer()).getData().clone();
  }

  private static BufferedImage grayImage(byte[] gray, int width, int height) {
    BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_BYTE_GRAY);
    image.getRaster().setDataElements(0, 0, width, height, gray);
    return image;
  }

  private static byte luminance(int r, int g, int b) {
    return (byte) ((299 * r + 587 * g + 114 * b + 500) / 1000);
  }

  private static int squareSide(int n) {
    int side = (int) Math.round(Math.sqrt(n));
    return side > 0 && side * side == n ? side : -1;
  }

  private static boolean startsWith(byte[] bytes, int... prefix) {
    if (bytes.length < prefix.length) {
      return false;
    }
    for (int i = 0; i < prefix.length; i++) {
      if ((bytes[i] & 0xFF) != prefix[i]) {
        return false;
      }
    }
    return true;
  }
}
