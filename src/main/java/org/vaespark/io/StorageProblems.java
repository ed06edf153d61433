package org.vaespark.io;

import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.file.AccessDeniedException;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.security.AccessControlException;
import org.apache.hadoop.util.VersionInfo;
import org.vaespark.error.StorageException;

/**
 * Turns what a file system throws into one line that names the path, the problem and what to do: a store that
 * cannot be reached, credentials it refuses, a bucket that does not exist, a path this user may not write, a scheme
 * with no file system on the classpath. The file systems' own messages can span lines (HDFS sends the server's
 * stack trace); only their first line is kept.
 */
public final class StorageProblems {
  private StorageProblems() {}

  /** A {@link StorageException} for {@code failure} of {@code action} (e.g. "cannot be listed") on {@code path}. */
  public static StorageException of(Path path, String action, Throwable failure) {
    String known = describe(failure);
    if (known != null) {
      return new StorageException(path + ": " + known, failure);
    }
    return new StorageException(path + ": " + action + " (" + firstLine(failure) + ")", failure);
  }

  /**
   * What went wrong, if {@code failure} (or anything in its cause chain) is a storage problem the user can fix;
   * null otherwise.
   */
  public static String describe(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      String name = t.getClass().getName();
      if (t instanceof AccessDeniedException) { // S3A's translation of HTTP 403
        return "access denied by the store (" + firstLine(t)
            + "): the credentials are wrong or have no "
            + "permission on this path; check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, the credential "
            + "provider or the role (README, 'Credentials')";
      }
      if (t instanceof AccessControlException) { // HDFS permissions
        return "permission denied (" + firstLine(t)
            + "): write to a path this user may write, or ask for " + "access";
      }
      if (name.equals("org.apache.hadoop.fs.s3a.UnknownStoreException")) {
        return "the bucket does not exist at this endpoint (" + firstLine(t)
            + "): check the bucket name in " + "the path and fs.s3a.endpoint";
      }
      if (t instanceof ConnectException
          || t instanceof NoRouteToHostException
          || t instanceof UnknownHostException
          || t instanceof SocketTimeoutException
          || name.endsWith(".ConnectTimeoutException")) {
        return "the store cannot be reached (" + firstLine(t)
            + "): check the host and port in the path, or "
            + "fs.s3a.endpoint for s3a:, and that the service is running";
      }
    }
    return null;
  }

  /** A path whose scheme has no file system on the classpath: names the scheme and the jar it needs. */
  public static StorageException noFileSystem(Path path, Throwable failure) {
    String scheme = path.toUri().getScheme();
    return new StorageException(
        path + ": no file system for the scheme '" + scheme + "' on the classpath ("
            + firstLine(failure) + "): " + jarFor(scheme),
        failure);
  }

  /** Which jar brings a scheme's file system, for the Hadoop version on the classpath. */
  static String jarFor(String scheme) {
    String hadoop = VersionInfo.getVersion();
    return switch (scheme == null ? "" : scheme) {
      case "s3a" ->
        "it needs org.apache.hadoop:hadoop-aws:" + hadoop
            + " and the com.amazonaws:aws-java-sdk-bundle it depends on: deploy/vae-local.sh has them after "
            + "'mvn package'; for spark-submit add --packages org.apache.hadoop:hadoop-aws:"
            + hadoop
            + " (README, 'Storage')";
      case "s3", "s3n" ->
        "use s3a:// (Hadoop's S3 connector, org.apache.hadoop:hadoop-aws:" + hadoop + ")";
      case "abfs", "abfss", "wasb", "wasbs" -> "it needs org.apache.hadoop:hadoop-azure:" + hadoop;
      case "gs" -> "it needs Google's com.google.cloud.bigdataoss:gcs-connector (hadoop3 build)";
      case "oss" -> "it needs org.apache.hadoop:hadoop-aliyun:" + hadoop;
      default ->
        "check the scheme, or add the jar of a Hadoop file system for it (fs." + scheme + ".impl)";
    };
  }

  static String firstLine(Throwable t) {
    String message = t.getMessage();
    if (message == null || message.isBlank()) {
      return t.getClass().getSimpleName();
    }
    return message.strip().lines().findFirst().orElse("").strip();
  }
}
