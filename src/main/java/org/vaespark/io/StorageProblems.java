package org.vaespark.io;

import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.file.AccessDeniedException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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
  /** "...Exception: <message> (Service: Amazon S3; Status Code: 403; Error Code: 403 Forbidden; ..." */
  private static final Pattern AWS_ERROR = Pattern.compile(
      "Exception: ([^(]*)\\(Service: [^;]*; Status Code: (\\d+); Error Code: ([^;]*);");

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
        return "access denied by the store (" + brief(t)
            + "): the credentials are wrong or have no "
            + "permission on this path; check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, the credential "
            + "provider or the role (README, 'Credentials')";
      }
      if (t instanceof AccessControlException) { // HDFS permissions
        return "permission denied (" + firstLine(t)
            + "): write to a path this user may write, or ask for access";
      }
      if (name.equals("org.apache.hadoop.fs.s3a.UnknownStoreException")) {
        return "the bucket does not exist at this endpoint (" + brief(t)
            + "): check the bucket name in the path and fs.s3a.endpoint";
      }
      if (t instanceof ConnectException
          || t instanceof NoRouteToHostException
          || t instanceof UnknownHostException
          || t instanceof SocketTimeoutException
          || name.endsWith(".ConnectTimeoutException")) {
        return "the store cannot be reached (" + firstLine(t)
            + "): check the host and port in the path, "
            + "or fs.s3a.endpoint for s3a:, and that the service is running";
      }
    }
    return null;
  }

  /**
   * For a storage failure met outside {@link Storage}, in Spark's own reads and writes (executors without the
   * driver's credentials, for one): the problem, and the first line of the file system's exception, which names
   * the path; null if {@code failure} is no storage problem the user can fix.
   */
  public static String describeFromSpark(Throwable failure) {
    String problem = describe(failure);
    if (problem == null) {
      return null;
    }
    Throwable cause = failure;
    while (cause.getCause() != null && describe(cause.getCause()) != null) {
      cause = cause.getCause();
    }
    return "storage failed in a Spark job (" + firstLine(cause) + "): " + problem;
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

  /**
   * The store's answer in a few words: "HTTP 403 Forbidden" from S3A's long rendering of an AWS SDK error (which
   * repeats the path and adds request ids), else the first line of the message.
   */
  static String brief(Throwable t) {
    String line = firstLine(t);
    Matcher aws = AWS_ERROR.matcher(line);
    if (aws.find()) {
      String status = aws.group(2);
      String code = aws.group(3).trim();
      String message = aws.group(1).trim();
      String answer = code.startsWith(status) ? "HTTP " + code : "HTTP " + status + " " + code;
      return message.isEmpty() || code.endsWith(message) ? answer : answer + ": " + message;
    }
    return line;
  }

  static String firstLine(Throwable t) {
    String message = t.getMessage();
    if (message == null || message.isBlank()) {
      return t.getClass().getSimpleName();
    }
    return message.strip().lines().findFirst().orElse("").strip();
  }
}
