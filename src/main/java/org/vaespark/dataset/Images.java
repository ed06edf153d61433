package org.vaespark.dataset;

import java.io.Serializable;
import org.vaespark.error.InputFileException;

/**
 * The images of this tool: unsigned 8-bit grayscale bytes, row-major, stored as is and decoded to floats in
 * [0, 1] only when minibatches are built. Their size is a property of the dataset ({@link Shape}, recorded in its
 * manifest); {@link #ROWS} x {@link #COLS} (MNIST's 28 x 28) is the default.
 */
public final class Images {
  public static final int ROWS = 28;
  public static final int COLS = 28;
  public static final int PIXELS = ROWS * COLS;

  private Images() {}

  /** The size of a dataset's images: {@code rows} x {@code cols} pixels. */
  public record Shape(int rows, int cols) implements Serializable {
    /** MNIST's 28 x 28. */
    public static final Shape DEFAULT = new Shape(ROWS, COLS);

    public int pixels() {
      return rows * cols;
    }

    @Override
    public String toString() {
      return rows + "x" + cols;
    }
  }

  /** One example's pixel bytes (all of them) to floats in [0, 1] at {@code offset} in {@code out}. */
  public static void toUnitFloats(byte[] pixels, float[] out, int offset) {
    toUnitFloats(pixels, 0, pixels.length, out, offset);
  }

  /** The {@code length} bytes at {@code from} in {@code pixels} to floats in [0, 1] at {@code offset} in {@code out}. */
  public static void toUnitFloats(byte[] pixels, int from, int length, float[] out, int offset) {
    for (int i = 0; i < length; i++) {
      out[offset + i] = (pixels[from + i] & 0xFF) / 255f;
    }
  }

  /** Fails unless an example has the {@code expected} number of pixel bytes. */
  public static void requireSize(byte[] pixels, int expected) {
    if (pixels.length != expected) {
      throw new InputFileException(
          "an example has " + pixels.length + " pixel bytes, expected " + expected);
    }
  }

  /** Intensities in [0, 1] back to pixel bytes (clamped and rounded). */
  public static byte[] toBytes(float[] intensities) {
    byte[] out = new byte[intensities.length];
    for (int i = 0; i < intensities.length; i++) {
      out[i] = (byte) Math.round(Math.max(0f, Math.min(1f, intensities[i])) * 255f);
    }
    return out;
  }
}
