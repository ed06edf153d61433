package org.vaespark.testing;

import com.amazonaws.auth.AWSStaticCredentialsProvider;
import com.amazonaws.auth.BasicAWSCredentials;
import com.amazonaws.client.builder.AwsClientBuilder;
import com.amazonaws.services.s3.AmazonS3;
import com.amazonaws.services.s3.AmazonS3ClientBuilder;
import com.amazonaws.services.s3.model.ListObjectsV2Request;
import com.amazonaws.services.s3.model.ListObjectsV2Result;
import com.amazonaws.services.s3.model.S3ObjectSummary;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * An S3-compatible server on loopback: S3Proxy (copied to {@code target/s3proxy/s3proxy.jar} by the build) in a
 * JVM of its own, storing objects in a test folder and checking AWS signatures against one test key pair. S3A
 * reaches it with path-style access at {@link #endpoint()}. {@link #close()} (also run by a JVM shutdown hook)
 * stops it.
 */
public final class S3Server implements AutoCloseable {
  public static final String BUCKET = "vae-test";
  public static final String ACCESS_KEY = "vae-test-access-key";
  public static final String SECRET_KEY = "vae-test-secret-key-0123456789";
  /** The region S3A signs for; S3Proxy accepts any. */
  public static final String REGION = "us-east-1";

  private static final Path JAR = Path.of("target/s3proxy/s3proxy.jar");

  private final Process process;
  private final int port;
  private final Path log;
  private final AmazonS3 client;

  private S3Server(Process process, int port, Path log) {
    this.process = process;
    this.port = port;
    this.log = log;
    this.client = AmazonS3ClientBuilder.standard()
        .withEndpointConfiguration(new AwsClientBuilder.EndpointConfiguration(endpoint(), REGION))
        .withPathStyleAccessEnabled(true)
        .withCredentials(
            new AWSStaticCredentialsProvider(new BasicAWSCredentials(ACCESS_KEY, SECRET_KEY)))
        .build();
  }

  /** Starts the server with its objects under {@code dir} and creates {@link #BUCKET}. */
  public static S3Server start(Path dir) throws IOException, InterruptedException {
    if (!Files.isRegularFile(JAR)) {
      throw new IllegalStateException(
          JAR + " is missing: the build copies it (mvn generate-test-resources)");
    }
    Path data = Files.createDirectories(dir.resolve("objects"));
    int port = StandaloneCluster.freePort();
    Path properties = dir.resolve("s3proxy.properties");
    Files.writeString(
        properties,
        String.join(
            "\n",
            "s3proxy.endpoint=http://127.0.0.1:" + port,
            "s3proxy.authorization=aws-v2-or-v4",
            "s3proxy.identity=" + ACCESS_KEY,
            "s3proxy.credential=" + SECRET_KEY,
            "jclouds.provider=transient",
            "jclouds.identity=local",
            "jclouds.credential=local",
            "jclouds.filesystem.basedir=" + data.toAbsolutePath(),
            ""));
    Path log = dir.resolve("s3proxy.log");
    Process process = new ProcessBuilder(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-Xmx256m",
            "-jar",
            JAR.toAbsolutePath().toString(),
            "--properties",
            properties.toAbsolutePath().toString())
        .redirectErrorStream(true)
        .redirectOutput(log.toFile())
        .start();
    S3Server server = new S3Server(process, port, log);
    Runtime.getRuntime().addShutdownHook(new Thread(server::close));
    server.awaitListening(60);
    server.client.createBucket(BUCKET);
    return server;
  }

  /** http://127.0.0.1:port */
  public String endpoint() {
    return "http://127.0.0.1:" + port;
  }

  /** The server's own client (not S3A): to list what the tool wrote. */
  public AmazonS3 client() {
    return client;
  }

  /** Every key under {@code prefix} in {@link #BUCKET}, in order. */
  public List<String> keys(String prefix) {
    List<String> keys = new ArrayList<>();
    ListObjectsV2Request request =
        new ListObjectsV2Request().withBucketName(BUCKET).withPrefix(prefix);
    ListObjectsV2Result page;
    do {
      page = client.listObjectsV2(request);
      for (S3ObjectSummary object : page.getObjectSummaries()) {
        keys.add(object.getKey());
      }
      request.setContinuationToken(page.getNextContinuationToken());
    } while (page.isTruncated());
    return keys;
  }

  private void awaitListening(long timeoutSeconds) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
    while (true) {
      try (Socket socket = new Socket()) {
        socket.connect(new InetSocketAddress("127.0.0.1", port), 1000);
        return;
      } catch (IOException notYet) {
        if (!process.isAlive() || System.nanoTime() > deadline) {
          close();
          throw new IllegalStateException(
              "S3Proxy did not start on port " + port + ": " + logText());
        }
        Thread.sleep(100);
      }
    }
  }

  public String logText() {
    try {
      List<String> lines = Files.readAllLines(log);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }
}
