package org.vaespark.cli;

import java.io.PrintWriter;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.nd4j.linalg.factory.Nd4jBackend;
import org.vaespark.error.ExitCode;
import org.vaespark.error.OutOfMemoryException;
import org.vaespark.error.VaeException;
import org.vaespark.io.StorageProblems;
import org.vaespark.runtime.NativeBuilds;
import picocli.CommandLine;
import picocli.CommandLine.ParameterException;

/**
 * The one place that turns a failure into an exit code and a message. A {@link VaeException} carries its own
 * code and a message that says what to do; memory that ran out anywhere in the cause chain (driver or executor)
 * is named with the setting to raise ({@link OutOfMemory}); a native library that would not load anywhere in the
 * cause chain is a missing backend; storage that refused or could not be reached inside one of Spark's jobs (an
 * executor without the credentials, for one) is bad input, named on one line; anything else is a bug and gets its
 * stack trace.
 */
final class ExitCodes {
  private ExitCodes() {}

  private static final Pattern EXECUTOR_FAILURE = Pattern.compile(
      Pattern.quote(VaeException.class.getPackageName()) + "\\.(\\w+Exception): ([^\\n]+)");

  static ExitCode of(Throwable failure) {
    VaeException known = known(failure);
    if (known != null) {
      return known.exitCode();
    }
    if (OutOfMemory.find(failure, null) != null) {
      return ExitCode.OUT_OF_MEMORY;
    }
    if (backendFailure(failure) != null) {
      return ExitCode.NO_BACKEND;
    }
    return StorageProblems.describeFromSpark(failure) != null
        ? ExitCode.BAD_INPUT
        : ExitCode.FAILURE;
  }

  /**
   * The tool's own failure: {@code failure} itself, or one thrown in a task on an executor, which reaches the
   * driver as text inside Spark's job failure ("org.vaespark.error.NativeBuildException: ...").
   */
  static VaeException known(Throwable failure) {
    if (failure instanceof VaeException known) {
      return known;
    }
    for (Throwable t = failure; t != null; t = t.getCause()) {
      Matcher m = EXECUTOR_FAILURE.matcher(String.valueOf(t.getMessage()));
      if (m.find()) {
        for (Class<?> kind : VaeException.class.getPermittedSubclasses()) {
          if (kind.getSimpleName().equals(m.group(1))) {
            try {
              return (VaeException)
                  kind.getConstructor(String.class).newInstance(m.group(2).trim());
            } catch (ReflectiveOperationException e) {
              return null;
            }
          }
        }
      }
    }
    return null;
  }

  /** Prints what the user needs to act on {@code failure} and returns the code to exit with. */
  static int report(Throwable failure, PrintWriter err) {
    OutOfMemoryException outOfMemory = OutOfMemory.find(failure, null);
    if (!(failure instanceof VaeException) && outOfMemory != null) {
      failure = outOfMemory;
    }
    ExitCode code = of(failure);
    VaeException known = known(failure);
    if (known != null) {
      err.println("error: " + known.getMessage());
    } else if (code == ExitCode.NO_BACKEND) {
      err.println("error: ND4J could not load its native backend (" + backendFailure(failure)
          + "). The CPU jar "
          + "needs an x86-64 Linux node (the tool picks the generic, AVX2 or AVX-512 build from the CPU: "
          + NativeBuilds.PROPERTY
          + " overrides it); the CUDA jar needs an NVIDIA driver, CUDA 11.6 and cuDNN 8.3 "
          + "on every node (README, 'GPU executors').");
    } else if (code == ExitCode.BAD_INPUT) { // a storage failure inside one of Spark's jobs
      err.println("error: " + StorageProblems.describeFromSpark(failure));
    } else {
      err.println("error: " + failure);
      failure.printStackTrace(err);
    }
    err.flush();
    return code.code();
  }

  /** A command line picocli cannot parse (an unknown option, a missing value): bad input, with the usage. */
  static int reportUsage(ParameterException e, String[] args) {
    CommandLine cmd = e.getCommandLine();
    PrintWriter err = cmd.getErr();
    err.println("error: " + e.getMessage());
    cmd.usage(err);
    err.flush();
    return ExitCode.BAD_INPUT.code();
  }

  /** The first line of a native-backend failure anywhere in the cause chain, or null. */
  static String backendFailure(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      String message = String.valueOf(t.getMessage());
      if (t instanceof UnsatisfiedLinkError
          || t instanceof Nd4jBackend.NoAvailableBackendException
          || message.contains("NoAvailableBackendException")
          || message.contains("UnsatisfiedLinkError")) {
        String line = message
            .lines()
            .filter(l ->
                l.contains("NoAvailableBackendException") || l.contains("UnsatisfiedLinkError"))
            .findFirst()
            .orElse(message.lines().findFirst().orElse(""));
        return t.getClass().getSimpleName() + ": " + line.trim();
      }
    }
    return null;
  }
}
