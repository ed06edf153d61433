package org.vaespark.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class BuildInfoTest {
  /** Built from a git checkout (CI's is a clone), the build records the commit it was built from, not "unknown". */
  @Test
  void theBuildRecordsTheCommitOfThisCheckout() throws Exception {
    assumeTrue(Files.isDirectory(Path.of(".git")), "not built from a git checkout");
    Process git =
        new ProcessBuilder("git", "rev-parse", "HEAD").redirectErrorStream(true).start();
    String head = new String(git.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    assertThat(git.waitFor()).as(head).isZero();

    BuildInfo build = BuildInfo.fromClasspath();

    assertThat(build.gitCommit()).matches("[0-9a-f]{40}(-dirty)?").startsWith(head);
    assertThat(build.toolVersion()).isNotEqualTo(BuildInfo.UNKNOWN);
    assertThat(build.sparkVersion()).startsWith("3.5.");
  }
}
