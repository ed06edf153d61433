package org.vaespark.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.security.PrivilegedExceptionAction;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.permission.FsPermission;
import org.apache.hadoop.security.UserGroupInformation;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.vaespark.cli.VaeCli;
import org.vaespark.error.ExitCode;
import org.vaespark.testing.CliProcess;
import org.vaespark.testing.S3Server;
import org.vaespark.testing.SparkTestBase;
import org.vaespark.testing.StandaloneCluster;
import org.vaespark.testing.TestData;
import org.vaespark.testing.TestStore;
import org.vaespark.testing.TestStores;
import picocli.CommandLine;

/**
 * Storage that cannot be used, as users meet it: an S3 endpoint where nothing listens, credentials the store
 * refuses, a bucket that does not exist, a launcher without S3A's jars (each through the tool in a JVM of its own,
 * credentials in the environment as README says), and HDFS folders this user may not write or read. Each exits
 * with code 2 and one line naming the path and the problem, without a stack trace, and writes nothing. The S3
 * runs print how long they took (S3A's retries are bounded by reference.conf).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BadStorageTest extends SparkTestBase {
  @TempDir
  static Path dir;

  private final TestStores.S3Store s3 = TestStores.s3();
  private Path idx;

  @BeforeAll
  void writeInput() {
    idx = TestData.writeSample(dir.resolve("idx"), 200, 100, true);
  }

  private record Outcome(int code, String err) {}

  /** The tool in its own JVM; its log holds Spark's warnings and the tool's error line. */
  private Outcome runChild(String name, CliProcess process, long timeoutSeconds)
      throws InterruptedException {
    long t0 = System.nanoTime();
    int code = process.waitFor(timeoutSeconds);
    String log = process.log();
    System.out.printf(
        "%s: exit %d after %.1f s (JVM start included): %s%n",
        name,
        code,
        (System.nanoTime() - t0) / 1e9,
        log.lines().filter(l -> l.startsWith("error: ")).findFirst().orElse("(no error line)"));
    return new Outcome(code, log);
  }

  private Outcome prepareOnS3(
      String name, Map<String, String> settings, Map<String, String> env, String output)
      throws InterruptedException {
    List<String> args =
        new ArrayList<>(List.of("prepare", "--input", idx.toString(), "--output", output));
    args.addAll(List.of("--config", TestStores.S3Store.config(dir, settings).toString()));
    return runChild(
        name,
        CliProcess.start(dir.resolve(name + ".log"), List.of(), env, args.toArray(String[]::new)),
        180);
  }

  /** Exit 2 and exactly one error line, with {@code parts}, and no stack trace anywhere in the output. */
  private static void assertOneLine(Outcome outcome, String... parts) {
    assertThat(outcome.code()).as(outcome.err()).isEqualTo(ExitCode.BAD_INPUT.code());
    List<String> errors =
        outcome.err().lines().filter(l -> l.startsWith("error: ")).toList();
    assertThat(errors).as(outcome.err()).hasSize(1);
    assertThat(errors.get(0)).contains(parts);
    assertThat(outcome.err()).as("no stack trace").doesNotContain("\tat ");
  }

  @Test
  void anEndpointWhereNothingListensFailsWithinSeconds() throws Exception {
    String root = s3.root("unreachable");
    Map<String, String> settings = new java.util.HashMap<>(s3.endpointSettings());
    settings.put("fs.s3a.endpoint", "http://127.0.0.1:" + StandaloneCluster.freePort());
    Outcome outcome = prepareOnS3("unreachable-endpoint", settings, s3.environment(), root);
    assertOneLine(outcome, root + "/dataset: the store cannot be reached", "fs.s3a.endpoint");
    assertThat(s3.files(root)).as("nothing written").isEmpty();
  }

  @Test
  void credentialsTheStoreRefusesAreNamedAsSuch() throws Exception {
    String root = s3.root("refused");
    Outcome outcome = prepareOnS3(
        "wrong-credentials",
        s3.endpointSettings(),
        Map.of("AWS_ACCESS_KEY_ID", S3Server.ACCESS_KEY, "AWS_SECRET_ACCESS_KEY", "not-the-secret"),
        root);
    assertOneLine(outcome, root + "/dataset: access denied by the store", "AWS_SECRET_ACCESS_KEY");
    assertThat(outcome.err()).doesNotContain("not-the-secret");
    assertThat(s3.files(root)).as("nothing written").isEmpty();
  }

  @Test
  void aBucketThatDoesNotExistIsNamed() throws Exception {
    String root = "s3a://no-such-bucket-vae/out";
    Outcome outcome = prepareOnS3("missing-bucket", s3.endpointSettings(), s3.environment(), root);
    assertOneLine(outcome, root + "/dataset: the bucket does not exist", "check the bucket name");
    assertThat(s3.server().client().listBuckets())
        .as("no bucket created")
        .extracting(b -> b.getName())
        .containsExactly(S3Server.BUCKET);
  }

  @Test
  void aLauncherWithoutS3aNamesTheSchemeAndTheJarsItNeeds() throws Exception {
    Outcome outcome = runChild(
        "no-hadoop-aws",
        CliProcess.startWithout(
            dir.resolve("no-hadoop-aws.log"),
            List.of("hadoop-aws-", "aws-java-sdk-bundle-"),
            "prepare",
            "--input",
            idx.toString(),
            "--output",
            "s3a://bucket/out"),
        180);
    assertOneLine(
        outcome,
        "s3a://bucket/out/dataset: no file system for the scheme 's3a' on the classpath",
        "org.apache.hadoop:hadoop-aws:3.3.4",
        "aws-java-sdk-bundle",
        "--packages");
  }

  private Outcome asUser(String user, String... args) throws Exception {
    return UserGroupInformation.createRemoteUser(user)
        .doAs((PrivilegedExceptionAction<Outcome>) () -> {
          StringWriter err = new StringWriter();
          CommandLine cli = VaeCli.commandLine();
          cli.setOut(new PrintWriter(new StringWriter()));
          cli.setErr(new PrintWriter(err));
          return new Outcome(cli.execute(args), err.toString());
        });
  }

  @Test
  void hdfsFoldersThisUserMayNotWriteOrReadAreNamed() throws Exception {
    TestStore hdfs = TestStores.hdfs();
    String root = hdfs.root("owned-by-another");
    FileSystem fs = hdfs.fs(root);
    org.apache.hadoop.fs.Path folder = new org.apache.hadoop.fs.Path(root);
    fs.mkdirs(folder, new FsPermission((short) 0755));
    fs.setPermission(folder, new FsPermission((short) 0755)); // mkdirs applies the umask

    Outcome write =
        asUser("alice", "prepare", "--input", idx.toString(), "--output", root + "/out");
    assertThat(write.code()).as(write.err()).isEqualTo(ExitCode.BAD_INPUT.code());
    assertThat(write.err())
        .startsWith("error: " + root + "/out/dataset: permission denied")
        .contains("user=alice, access=WRITE")
        .doesNotContain("\tat ")
        .hasLineCount(1);
    assertThat(hdfs.files(root)).as("nothing written").isEmpty();

    String secret = hdfs.root("private-input");
    fs.copyFromLocalFile(
        new org.apache.hadoop.fs.Path(idx.toUri()), new org.apache.hadoop.fs.Path(secret));
    fs.setPermission(new org.apache.hadoop.fs.Path(secret), new FsPermission((short) 0700));
    Path out = dir.resolve("read-denied");
    Outcome read = asUser("alice", "prepare", "--input", secret, "--output", out.toString());
    assertThat(read.code()).as(read.err()).isEqualTo(ExitCode.BAD_INPUT.code());
    assertThat(read.err())
        .startsWith("error: " + secret)
        .contains("permission denied", "user=alice, access=")
        .doesNotContain("\tat ")
        .hasLineCount(1);
    assertThat(out).as("nothing written").doesNotExist();
  }
}
