package org.vaespark.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.junit.jupiter.api.Test;
import org.vaespark.error.LockedException;
import org.vaespark.testing.TestStore;

/**
 * The retrain lock on a file system where creating a file only if it is absent is atomic (the local disk, HDFS):
 * of many contenders exactly one wins, every time; an expired lock is broken, a refreshed one is not.
 */
public abstract class StorageLockContract {
  protected abstract TestStore store();

  static StorageLock.Policy policy(Duration expiry) {
    return new StorageLock.Policy(
        expiry, "vae.retrain.lock-expiry", false, "vae.retrain.scheduler-prevents-overlap");
  }

  @Test
  void ofManyContendersExactlyOneGetsTheLockAndTheOthersAreToldWhoHoldsIt() throws Exception {
    TestStore store = store();
    Storage storage = new Storage(store.hadoopConf());
    Path lock = new Path(store.root("race"), "_LOCK");
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
              return StorageLock.acquire(storage, lock, policy(Duration.ofMinutes(10)));
            } catch (LockedException e) {
              assertThat(e)
                  .hasMessageContaining("another run holds the lock " + lock)
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
        assertThat(store.exists(lock.toString())).isFalse();
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void aLockNotRefreshedWithinTheExpiryIsBrokenAndALiveOneIsNot() throws Exception {
    TestStore store = store();
    Storage storage = new Storage(store.hadoopConf());
    String root = store.root("expiry");
    Path lock = new Path(root, "_LOCK");
    StorageLock dead = StorageLock.acquire(storage, lock, policy(Duration.ofMinutes(10)));
    FileSystem fs = store.fs(root);
    fs.setTimes(lock, System.currentTimeMillis() - Duration.ofMinutes(11).toMillis(), -1);

    try (StorageLock taken = StorageLock.acquire(storage, lock, policy(Duration.ofMinutes(10)))) {
      assertThat(taken.file()).isEqualTo(lock);
      assertThat(storage.readString(lock)).isNotEqualTo("");
      // The old holder, if it was alive after all, does not delete the new holder's lock.
      dead.close();
      assertThat(store.exists(lock.toString())).isTrue();
      assertThat(store.files(root)).anyMatch(n -> n.startsWith("._LOCK.expired-"));
    }
    assertThat(store.exists(lock.toString())).isFalse();

    try (StorageLock live = StorageLock.acquire(storage, lock, policy(Duration.ofMillis(500)))) {
      assertThat(live.file()).isEqualTo(lock);
      Thread.sleep(1200); // longer than the expiry: only the heartbeat keeps it fresh
      assertThatThrownBy(() -> StorageLock.acquire(storage, lock, policy(Duration.ofMillis(500))))
          .isInstanceOf(LockedException.class);
    }
  }
}
