package org.vaespark.retrain;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vaespark.io.Storage;

class VersionStoreTest {
  @TempDir
  Path dir;

  private final Storage storage = new Storage(new Configuration());

  private VersionStore store() {
    return new VersionStore(
        storage, new org.apache.hadoop.fs.Path(dir.toString()), Clock.systemUTC());
  }

  private void version(String name, boolean complete) throws Exception {
    Path folder = Files.createDirectories(dir.resolve("versions").resolve(name).resolve("model"));
    if (complete) {
      Files.createFile(folder.getParent().resolve("_SUCCESS"));
    }
  }

  @Test
  void onlyTheNewestVersionCanBeUnfinished() throws Exception {
    version("v20261101T000000Z", true);
    version("v20261102T000000Z", false); // abandoned when the input changed
    version("v20261103T000000Z", true);
    assertThat(store().unfinished()).isEmpty();

    version("v20261104T000000Z", false); // a run killed mid-training
    assertThat(store().unfinished()).contains("v20261104T000000Z");
    assertThat(store().versions()).hasSize(4).last().isEqualTo("v20261104T000000Z");
  }

  @Test
  void thePointerIsReplacedWholeAndLeavesNoTemporaryFile() throws Exception {
    VersionStore store = store();
    assertThat(store.current()).isEmpty();
    store.point(new VersionStore.Pointer(
        "v1", "/m/v1", "/e/v1", 120.5, "sha256:a", "2026-11-24T00:00:00Z"));
    store.point(new VersionStore.Pointer(
        "v2", "/m/v2", "/e/v2", 118.25, "sha256:a", "2026-11-24T01:00:00Z"));

    assertThat(store.current()).hasValueSatisfying(p -> {
      assertThat(p.version()).isEqualTo("v2");
      assertThat(p.testNegElbo()).isEqualTo(118.25);
    });
    try (var files = Files.list(dir)) {
      assertThat(files.map(p -> p.getFileName().toString())).noneMatch(n -> n.contains(".tmp-"));
    }
  }

  @Test
  void aNewVersionIdNeverReusesAnExistingFolder() throws Exception {
    VersionStore store = store();
    String first = store.newVersion();
    version(first, true);
    String second = store.newVersion();
    assertThat(second).isNotEqualTo(first).startsWith("v");
    assertThat(second.compareTo(first)).as("sorts after").isPositive();
  }
}
