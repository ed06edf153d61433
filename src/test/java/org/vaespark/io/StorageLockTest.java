package org.vaespark.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vaespark.error.LockedException;

class StorageLockTest {
  @TempDir
  Path dir;

  private final Storage storage = new Storage(new Configuration());

  private static StorageLock.Policy policy(Duration expiry) {
    return new StorageLock.Policy(
        expiry, "vae.retrain.lock-expiry", false, "vae.retrain.scheduler-prevents-overlap");
  }

  private org.apache.hadoop.fs.Path lockFile() {
    return new org.apache.hadoop.fs.Path(dir.resolve("out/_LOCK").toString());
  }

  @Test
  void ofManyContendersExactlyOneGetsTheLockAndTheOthersAreToldWhoHoldsIt() throws Exception {
    int contenders = 8;
    ExecutorService pool = Executors.newFixedThreadPool(contenders);
    try {
      for (int round = 0; round < 20; round++) {
        CountDownLatch start = new CountDownLatch(1);
        List<Future<StorageLock>> attempts = new ArrayList<>();
        for (int i = 0; i < contenders; i++) {
          attempts.add(pool.submit(() -> {
            start.await();
            try {
              return StorageLock.acquire(storage, lockFile(), policy(Duration.ofMinutes(10)));
            } catch (LockedException e) {
              assertThat(e)
                  .hasMessageContaining("another run holds the lock " + lockFile())
                  .hasMessageContaining("pid ");
              return null;
            }
          }));
        }
        start.countDown();
        List<StorageLock> winners = new ArrayList<>();
        for (Future<StorageLock> attempt : attempts) {
          if (attempt.get() != null) {
            winners.add(attempt.get());
          }
        }
        assertThat(winners).as("round %d", round).hasSize(1);
        winners.get(0).close();
        assertThat(dir.resolve("out/_LOCK")).doesNotExist();
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void aLockNotRefreshedWithinTheExpiryIsBrokenAndALiveOneIsNot() throws Exception {
    StorageLock dead = StorageLock.acquire(storage, lockFile(), policy(Duration.ofMinutes(10)));
    Path file = dir.resolve("out/_LOCK");
    Files.setLastModifiedTime(file, FileTime.from(Instant.now().minus(Duration.ofMinutes(11))));

    try (StorageLock taken =
        StorageLock.acquire(storage, lockFile(), policy(Duration.ofMinutes(10)))) {
      assertThat(taken.file()).isEqualTo(lockFile());
      assertThat(Files.readString(file)).isNotEqualTo("");
      // The old holder, if it was alive after all, does not delete the new holder's lock.
      dead.close();
      assertThat(file).exists();
      try (var broken = Files.list(dir.resolve("out"))) {
        assertThat(broken.map(p -> p.getFileName().toString()))
            .anyMatch(n -> n.startsWith("._LOCK.expired-"));
      }
    }
    assertThat(file).doesNotExist();

    try (StorageLock live =
        StorageLock.acquire(storage, lockFile(), policy(Duration.ofMillis(500)))) {
      assertThat(live.file()).isEqualTo(lockFile());
      Thread.sleep(1200); // longer than the expiry: only the heartbeat keeps it fresh
      assertThatThrownBy(
              () -> StorageLock.acquire(storage, lockFile(), policy(Duration.ofMillis(500))))
          .isInstanceOf(LockedException.class);
    }
  }
}
