package org.vaespark.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.apache.hadoop.fs.Path;
import org.junit.jupiter.api.Test;
import org.vaespark.error.LockedException;
import org.vaespark.error.SettingsException;
import org.vaespark.testing.TestStore;
import org.vaespark.testing.TestStores;

/**
 * The retrain lock on an S3-compatible server, where a file cannot be created only if absent in one step: refused
 * unless the scheduler is declared to prevent overlapping runs; then advisory, and refreshed by rewriting it (S3
 * objects cannot be touched).
 */
class S3StorageLockTest {
  private final TestStore store = TestStores.s3();
  private final Storage storage = new Storage(store.hadoopConf());

  private static StorageLock.Policy policy(Duration expiry, boolean schedulerPreventsOverlap) {
    return new StorageLock.Policy(
        expiry,
        "vae.retrain.lock-expiry",
        schedulerPreventsOverlap,
        "vae.retrain.scheduler-prevents-overlap");
  }

  @Test
  void anObjectStoreIsRefusedUnlessTheSchedulerPreventsOverlap() {
    String root = store.root("refused");
    assertThatThrownBy(() -> StorageLock.acquire(
            storage, new Path(root, "_LOCK"), policy(Duration.ofMinutes(10), false)))
        .isInstanceOf(SettingsException.class)
        .hasMessageContaining(root + " is on an object store (s3a:)")
        .hasMessageContaining("set vae.retrain.scheduler-prevents-overlap = true");
    assertThat(store.files(root)).as("nothing written").isEmpty();
  }

  @Test
  void theAdvisoryLockRefusesALaterRunAndItsHolderKeepsItFresh() throws Exception {
    Path lock = new Path(store.root("advisory"), "_LOCK");
    Duration expiry = Duration.ofSeconds(2);
    try (StorageLock held = StorageLock.acquire(storage, lock, policy(expiry, true))) {
      assertThat(held.file()).isEqualTo(lock);
      String token = storage.readString(lock);
      Thread.sleep(4000); // twice the expiry: only the rewrites keep it fresh
      assertThatThrownBy(() -> StorageLock.acquire(storage, lock, policy(expiry, true)))
          .isInstanceOf(LockedException.class)
          .hasMessageContaining("another run holds the lock " + lock);
      assertThat(storage.readString(lock)).isEqualTo(token);
    }
    assertThat(store.exists(lock.toString())).isFalse();
  }

  @Test
  void aLockNobodyRefreshesExpiresAndIsBroken() throws Exception {
    String root = store.root("expired");
    Path lock = new Path(root, "_LOCK");
    try (OutputStream out = store.fs(root).create(lock, false)) {
      out.write("pid 1 on a-killed-host token t".getBytes(StandardCharsets.UTF_8));
    }
    Thread.sleep(3000);
    try (StorageLock taken =
        StorageLock.acquire(storage, lock, policy(Duration.ofSeconds(2), true))) {
      assertThat(taken.file()).isEqualTo(lock);
      assertThat(storage.readString(lock)).contains("token").doesNotContain("a-killed-host");
      assertThat(store.files(root)).anyMatch(n -> n.startsWith("._LOCK.expired-"));
    }
  }
}
