package org.vaespark.train;

import java.util.SplittableRandom;

/**
 * Derives independent seeds from the training seed and a position in training (epoch, iteration, partition),
 * so every random stream can be recreated from a checkpoint without saving generator internals.
 */
final class Seeds {
  private Seeds() {}

  static long derive(long seed, long... position) {
    long mixed = seed;
    for (long p : position) {
      mixed = new SplittableRandom(mixed ^ (p * 0x9E3779B97F4A7C15L)).nextLong();
    }
    return mixed;
  }
}
