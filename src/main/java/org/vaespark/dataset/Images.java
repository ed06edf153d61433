package org.vaespark.dataset;

import org.vaespark.error.InputFileException;

/**
 * The one definition of an MNIST image in this tool: 28 x 28 unsigned bytes, row-major, stored as is and decoded
 * to floats in [0, 1] only when minibatches are built.
 */
public final class Images {
  public static final int ROWS = 28;
  public static final int COLS = 28;
  public static final int PIXELS = ROWS * COLS;

  private Images() {}

  /** One example's pixel bytes to floats in [0, 1] at {@code offset} in {@code out}. */
  public static void toUnitFloats(byte[] pixels, float[] out, int offset) {
    if (pixels.length != PIXELS) {
      throw new InputFileException(
          "an example has " + pixels.length + " pixel bytes, expected " + PIXELS);
    }
    toUnitFloats(pixels, 0, out, offset);
  }

  /** The example of 784 bytes at {@code from} in {@code pixels} to floats in [0, 1] at {@code offset} in {@code out}. */
  public static void toUnitFloats(byte[] pixels, int from, float[] out, int offset) {
    for (int i = 0; i < PIXELS; i++) {
      out[offset + i] = (pixels[from + i] & 0xFF) / 255f;
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
