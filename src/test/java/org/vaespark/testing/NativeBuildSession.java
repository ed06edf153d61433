package org.vaespark.testing;

import org.junit.platform.launcher.LauncherSession;
import org.junit.platform.launcher.LauncherSessionListener;
import org.vaespark.runtime.NativeBuilds;

/**
 * Chooses ND4J's native build in every test JVM (Surefire and Failsafe) before the first test class loads ND4J,
 * exactly as the CLI and the executor plugin do. Registered in META-INF/services.
 */
public final class NativeBuildSession implements LauncherSessionListener {
  @Override
  public void launcherSessionOpened(LauncherSession session) {
    NativeBuilds.configure();
  }
}
