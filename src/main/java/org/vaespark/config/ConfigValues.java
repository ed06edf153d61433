package org.vaespark.config;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.vaespark.error.SettingsException;

/** Typed, range-checked reads of single configuration values; each failure names the key and what is allowed. */
final class ConfigValues {
  private static final Set<String> ACTIVATIONS =
      Set.of("relu", "leakyrelu", "tanh", "sigmoid", "elu", "softplus", "swish");

  private ConfigValues() {}

  static String nonBlank(Config c, String path) {
    String value = c.getString(path).trim();
    if (value.isEmpty()) {
      throw new SettingsException(path + " must not be empty");
    }
    return value;
  }

  static int intIn(Config c, String path, int min, int max) {
    int value = c.getInt(path);
    if (value < min || value > max) {
      throw new SettingsException(path + " = " + value
          + " is out of range: expected an integer in [" + min + ", " + max + "]");
    }
    return value;
  }

  static double doubleIn(Config c, String path, double minExclusive, double max) {
    double value = c.getDouble(path);
    if (!(value > minExclusive && value <= max)) {
      throw new SettingsException(path + " = " + value + " is out of range: expected a number in ("
          + minExclusive + ", " + max + "]");
    }
    return value;
  }

  static int positiveSamples(Config c, String path) {
    int value = c.getInt(path);
    if (value < 1 || value > 1_000_000) {
      throw new SettingsException(
          path + " = " + value + " is out of range: the importance-sampled log p(x) needs at "
              + "least 1 sample per example (1 gives the ELBO; more give a tighter bound), at most 1000000");
    }
    return value;
  }

  static String oneOf(Config c, String path, Set<String> allowed) {
    String value = c.getString(path).trim().toLowerCase(Locale.ROOT);
    if (!allowed.contains(value)) {
      throw new SettingsException(path + " = \"" + value + "\" is not supported: expected one of "
          + new TreeSet<>(allowed));
    }
    return value;
  }

  static double fraction(Config c, String path) {
    double value = c.getDouble(path);
    if (!(value >= 0 && value < 1)) {
      throw new SettingsException(
          path + " = " + value + " is out of range: expected a number in [0, 1)");
    }
    return value;
  }

  /** A share strictly between 0 and 1. */
  static double openFraction(Config c, String path) {
    double value = c.getDouble(path);
    if (!(value > 0 && value < 1)) {
      throw new SettingsException(
          path + " = " + value + " is out of range: expected a number in (0, 1), e.g. 0.2");
    }
    return value;
  }

  private static final Pattern IMAGE_SIZE =
      Pattern.compile("\\s*(\\d{1,5})\\s*[xX]\\s*(\\d{1,5})\\s*");
  static final int MAX_IMAGE_SIDE = 1024;

  /** An image size written "HEIGHTxWIDTH" (rows x columns), e.g. "28x28" or "64x64"; each side in [1, 1024]. */
  static int[] imageSize(Config c, String path) {
    String value = c.getString(path);
    Matcher m = IMAGE_SIZE.matcher(value);
    if (m.matches()) {
      int rows = Integer.parseInt(m.group(1));
      int cols = Integer.parseInt(m.group(2));
      if (rows >= 1 && cols >= 1 && rows <= MAX_IMAGE_SIDE && cols <= MAX_IMAGE_SIDE) {
        return new int[] {rows, cols};
      }
    }
    throw new SettingsException(path + " = \"" + value
        + "\" is not an image size: expected HEIGHTxWIDTH in pixels, each in [1, " + MAX_IMAGE_SIDE
        + "], e.g. \"28x28\" or \"64x64\"");
  }

  static double nonNegative(Config c, String path) {
    double value = c.getDouble(path);
    if (!(value >= 0) || Double.isInfinite(value)) {
      throw new SettingsException(
          path + " = " + value + " is out of range: expected a finite number >= 0");
    }
    return value;
  }

  static Duration positiveDuration(Config c, String path) {
    Duration value = c.getDuration(path);
    if (value.isNegative() || value.isZero()) {
      throw new SettingsException(path + " = " + value + " must be a positive duration, e.g. 10m");
    }
    return value;
  }

  static List<Integer> layerSizes(Config c, String path) {
    List<Integer> sizes = c.getIntList(path);
    if (sizes.isEmpty()) {
      throw new SettingsException(path + " must list at least one layer size, for example [400]");
    }
    for (int size : sizes) {
      if (size < 1 || size > 100_000) {
        throw new SettingsException(path + " = " + sizes + " has size " + size
            + ": each layer size must be in [1, 100000]");
      }
    }
    return List.copyOf(sizes);
  }

  static String activation(Config c, String path) {
    String value = c.getString(path).trim().toLowerCase(Locale.ROOT);
    if (!ACTIVATIONS.contains(value)) {
      throw new SettingsException(path + " = \"" + value + "\" is not supported: expected one of "
          + new TreeSet<>(ACTIVATIONS));
    }
    return value;
  }
}
