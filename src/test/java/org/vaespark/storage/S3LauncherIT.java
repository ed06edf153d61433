package org.vaespark.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vaespark.testing.S3Server;
import org.vaespark.testing.TestData;
import org.vaespark.testing.TestStores;

/**
 * S3 from the README's launcher: {@code deploy/vae-local.sh} with the packaged jar and the classpath {@code mvn
 * package} writes (which carries hadoop-aws and the AWS SDK bundle), the endpoint in a --config file and the
 * credentials in the environment, as README tells users; then the same with a secret the store refuses.
 */
class S3LauncherIT {
  @TempDir
  Path dir;

  private record Run(int code, String output) {}

  private Run launcher(Map<String, String> env, String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of("deploy/vae-local.sh"));
    command.addAll(List.of(args));
    Path log = dir.resolve("launcher.log");
    ProcessBuilder builder =
        new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
    builder.environment().putAll(env);
    builder.environment().put("VAE_HEAP", "2g");
    Process process = builder.start();
    if (!process.waitFor(10, TimeUnit.MINUTES)) {
      process.destroyForcibly();
      throw new AssertionError("deploy/vae-local.sh did not finish:\n" + Files.readString(log));
    }
    return new Run(process.exitValue(), Files.readString(log));
  }

  @Test
  void prepareWritesToS3ThroughTheLauncher() throws Exception {
    TestStores.S3Store s3 = TestStores.s3();
    String config = TestStores.S3Store.config(dir, s3.endpointSettings()).toString();
    String root = s3.root("launcher");
    String input = TestData.writeSample(dir.resolve("idx"), 300, 100, true).toString();

    Run run = launcher(
        s3.environment(), "prepare", "--config", config, "--input", input, "--output", root);

    assertThat(run.code()).as(run.output()).isZero();
    assertThat(run.output()).contains("dataset      " + root + "/dataset");
    assertThat(s3.files(root + "/dataset"))
        .contains("_SUCCESS", "manifest.json")
        .anyMatch(f -> f.startsWith("train/part-"));

    String refused = s3.root("launcher-refused");
    Run wrong = launcher(
        Map.of("AWS_ACCESS_KEY_ID", S3Server.ACCESS_KEY, "AWS_SECRET_ACCESS_KEY", "wrong"),
        "prepare",
        "--config",
        config,
        "--input",
        input,
        "--output",
        refused);
    assertThat(wrong.code()).as(wrong.output()).isEqualTo(2);
    assertThat(wrong.output())
        .contains("error: " + refused + "/dataset: access denied by the store (HTTP 403 Forbidden)")
        .doesNotContain("\tat ");
    assertThat(s3.files(refused)).isEmpty();
  }
}
