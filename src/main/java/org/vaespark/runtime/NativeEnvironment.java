package org.vaespark.runtime;

import com.sun.jna.Function;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;
import org.vaespark.error.NativeBuildException;

/**
 * This process's C environment, which native libraries read with {@code getenv} (Java's {@code System.getenv}
 * is a copy taken at start-up that native code never sees). Changes made here are seen by libraries loaded
 * afterwards, so they must come before the library that reads them loads.
 */
final class NativeEnvironment {
  private NativeEnvironment() {}

  static void set(String name, String value) {
    check(name, libc("setenv").invokeInt(new Object[] {name, value, 1}));
  }

  static void unset(String name) {
    check(name, libc("unsetenv").invokeInt(new Object[] {name}));
  }

  /** The variable as native code sees it now, or null. */
  static String get(String name) {
    return libc("getenv").invokeString(new Object[] {name}, false);
  }

  private static Function libc(String function) {
    try {
      return NativeLibrary.getInstance(Platform.C_LIBRARY_NAME).getFunction(function);
    } catch (RuntimeException | LinkageError e) {
      throw new NativeBuildException(
          "cannot call the C library's " + function + " through JNA (" + e
              + "): set the environment " + "variable before starting the JVM and "
              + OpenBlasCores.PROPERTY + " = " + OpenBlasCores.INHERIT,
          e);
    }
  }

  private static void check(String name, int result) {
    if (result != 0) {
      throw new NativeBuildException(
          "cannot change the environment variable " + name + " of this process (C "
              + "library returned " + result + "): set it before starting the JVM and "
              + OpenBlasCores.PROPERTY + " = " + OpenBlasCores.INHERIT);
    }
  }
}
