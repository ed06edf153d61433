package org.vaespark.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.commons.io.FileUtils;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.security.alias.CredentialProvider;
import org.apache.hadoop.security.alias.CredentialProviderFactory;

/**
 * The stores the storage tests run on. The in-process HDFS and the S3 server are started once per test JVM, when
 * a test first asks for them, and stopped when the JVM ends (the surefire fork ends after its last test class).
 */
public final class TestStores {
  private static HdfsStore hdfs;
  private static S3Store s3;

  private TestStores() {}

  /** A folder under {@code dir} on the local disk. */
  public static TestStore local(Path dir) {
    return new TestStore() {
      @Override
      public String name() {
        return "local";
      }

      @Override
      public String root(String name) {
        return dir.resolve(TestStore.unique(name)).toAbsolutePath().toString();
      }
    };
  }

  public static synchronized TestStore hdfs() {
    if (hdfs == null) {
      MiniHdfs cluster = MiniHdfs.start(scratch("hdfs"));
      Runtime.getRuntime().addShutdownHook(new Thread(cluster::close));
      hdfs = new HdfsStore(cluster);
    }
    return hdfs;
  }

  public static synchronized S3Store s3() {
    if (s3 == null) {
      try {
        S3Server server = S3Server.start(scratch("s3"));
        s3 = new S3Store(server, scratch("s3-client"));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
    return s3;
  }

  /** A folder for a server's data, removed when the JVM ends. */
  private static Path scratch(String name) {
    try {
      Path dir = Files.createTempDirectory("vae-" + name + "-");
      Runtime.getRuntime().addShutdownHook(new Thread(() -> FileUtils.deleteQuietly(dir.toFile())));
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The in-process HDFS: hdfs:// paths, no settings needed. */
  public static final class HdfsStore implements TestStore {
    private final MiniHdfs cluster;

    HdfsStore(MiniHdfs cluster) {
      this.cluster = cluster;
    }

    @Override
    public String name() {
      return "hdfs";
    }

    @Override
    public String root(String name) {
      return cluster.uri() + "/t/" + TestStore.unique(name);
    }

    public MiniHdfs cluster() {
      return cluster;
    }
  }

  /**
   * The S3 server through S3A with path-style access. In this JVM the credentials come from a Hadoop credential
   * provider (a JCEKS file); the tool in a child JVM gets them from the environment and the endpoint from a
   * --config file: both as README tells users, never from a config file.
   */
  public static final class S3Store implements TestStore {
    private final S3Server server;
    private final String credentialProvider;

    S3Store(S3Server server, Path dir) throws IOException {
      this.server = server;
      this.credentialProvider = "jceks://file" + dir.resolve("s3.jceks").toAbsolutePath();
      Configuration conf = new Configuration();
      conf.set(CredentialProviderFactory.CREDENTIAL_PROVIDER_PATH, credentialProvider);
      CredentialProvider provider = CredentialProviderFactory.getProviders(conf).get(0);
      provider.createCredentialEntry("fs.s3a.access.key", S3Server.ACCESS_KEY.toCharArray());
      provider.createCredentialEntry("fs.s3a.secret.key", S3Server.SECRET_KEY.toCharArray());
      provider.flush();
    }

    @Override
    public String name() {
      return "s3";
    }

    @Override
    public String root(String name) {
      return "s3a://" + S3Server.BUCKET + "/t/" + TestStore.unique(name);
    }

    public S3Server server() {
      return server;
    }

    /** The endpoint settings (not secrets), as a user puts them under vae.spark.conf or spark-submit --conf. */
    public Map<String, String> endpointSettings() {
      return Map.of(
          "fs.s3a.endpoint", server.endpoint(),
          "fs.s3a.path.style.access", "true",
          "fs.s3a.connection.ssl.enabled", "false");
    }

    @Override
    public void configure(Configuration conf) {
      endpointSettings().forEach(conf::set);
      conf.set(CredentialProviderFactory.CREDENTIAL_PROVIDER_PATH, credentialProvider);
      // As reference.conf sets them for the tool's own sessions: a broken server fails a test in
      // seconds.
      conf.set("fs.s3a.attempts.maximum", "2");
      conf.set("fs.s3a.retry.limit", "2");
    }

    @Override
    public Map<String, String> environment() {
      return Map.of(
          "AWS_ACCESS_KEY_ID", S3Server.ACCESS_KEY, "AWS_SECRET_ACCESS_KEY", S3Server.SECRET_KEY);
    }

    @Override
    public List<String> options(Path dir) {
      return List.of("--config", config(dir, endpointSettings()).toString());
    }

    /** A config file with {@code settings} (Hadoop keys) under vae.spark.conf as spark.hadoop.* keys. */
    public static Path config(Path dir, Map<String, String> settings) {
      StringBuilder text = new StringBuilder("vae.spark.conf {\n");
      settings.forEach((key, value) -> text.append("  \"spark.hadoop.")
          .append(key)
          .append("\" = \"")
          .append(value)
          .append("\"\n"));
      text.append("}\n");
      try {
        Files.createDirectories(dir);
        return Files.writeString(Files.createTempFile(dir, "s3-", ".conf"), text.toString());
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }
}
