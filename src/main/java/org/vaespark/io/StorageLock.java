package org.vaespark.io;

import java.io.IOException;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vaespark.error.LockedException;
import org.vaespark.error.SettingsException;

/**
 * An exclusive lock held as a file on storage, so that two runs on the same output (two {@code retrain}s) never
 * write at the same time. Taking it is one atomic create-if-absent (a hard link on local disks,
 * create(overwrite=false) at the HDFS NameNode). A lock older than the expiry is deemed left by a run that was
 * killed: it is renamed away (only one contender's rename succeeds) and taken. While held, a daemon thread
 * refreshes the file every fifth of the expiry, so a live run's lock never expires and a killed run's lock expires
 * soon. Releasing deletes the file only if it still holds this run's token.
 *
 * <p>On an object store (S3: a scheme not in {@code vae.storage.atomic-schemes}) a file cannot be created only if
 * absent in one step: two runs that start together could both take the lock. There it is taken only when the
 * policy says that the scheduler prevents overlapping runs, and it is then an advisory guard: created after a
 * look for an existing one, read back to see that this run's token won, and refreshed by rewriting it (S3 has no
 * way to touch an object).
 */
public final class StorageLock implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(StorageLock.class);

  /**
   * How a lock is held: a lock not refreshed for {@code expiry} is broken; {@code schedulerPreventsOverlap}
   * allows an advisory lock on an object store. The settings' names are given for the messages.
   */
  public record Policy(
      Duration expiry,
      String expirySetting,
      boolean schedulerPreventsOverlap,
      String overlapSetting) {}

  private final Storage storage;
  private final Path file;
  private final String token;
  private final boolean atomic;
  private final ScheduledExecutorService heartbeat;

  private StorageLock(Storage storage, Path file, String token, boolean atomic, Duration expiry) {
    this.storage = storage;
    this.file = file;
    this.token = token;
    this.atomic = atomic;
    this.heartbeat = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread thread = new Thread(r, "storage-lock-heartbeat");
      thread.setDaemon(true);
      return thread;
    });
    long period = Math.max(1, expiry.toMillis() / 5);
    heartbeat.scheduleAtFixedRate(this::touch, period, period, TimeUnit.MILLISECONDS);
  }

  /**
   * Takes the lock or fails at once with {@link LockedException}; never waits. On an object store without
   * {@code policy.schedulerPreventsOverlap()} it refuses with a {@link SettingsException} naming the setting.
   */
  public static StorageLock acquire(Storage storage, Path file, Policy policy) {
    boolean atomic = storage.isAtomic(file);
    if (!atomic) {
      requireOverlapPrevented(storage, file, policy);
    }
    Duration expiry = policy.expiry();
    String token = owner() + " token " + UUID.randomUUID() + " since " + Instant.now();
    if (createIfAbsent(storage, file, token, atomic)) {
      return new StorageLock(storage, file, token, atomic, expiry);
    }
    FileStatus held = storage.status(file);
    if (held != null && age(held).compareTo(expiry) > 0) {
      Path broken = Storage.hiddenSibling(file, "expired");
      if (storage.renameQuietly(file, broken)) {
        LOG.warn(
            "Broke the lock {} held by '{}': older than {} = {} (kept as {})",
            file,
            storage.readString(broken).trim(),
            policy.expirySetting(),
            expiry,
            broken);
        if (createIfAbsent(storage, file, token, atomic)) {
          return new StorageLock(storage, file, token, atomic, expiry);
        }
      }
    }
    String holder = held == null ? "a run that just finished" : holder(storage, file);
    if (holder.isEmpty()) {
      holder = "a run that is still writing its name into it";
    }
    throw new LockedException("another run holds the lock " + file + " (" + holder
        + "): try again when it has finished; if none is "
        + "running, the run that held it was killed: delete " + file
        + " or wait until it is older than "
        + policy.expirySetting());
  }

  private static void requireOverlapPrevented(Storage storage, Path file, Policy policy) {
    if (!policy.schedulerPreventsOverlap()) {
      throw new SettingsException(file.getParent() + " is on an object store ("
          + storage.fs(file).getScheme()
          + ":), where a lock file cannot be created atomically, so two runs that start together could both "
          + "write there: keep this output on HDFS or a local disk, or, if the scheduler never starts a run "
          + "while another runs on it (concurrencyPolicy: Forbid, max_active_runs=1), set "
          + policy.overlapSetting() + " = true (README, 'Scheduled retraining')");
    }
    LOG.warn(
        "{} is on an object store: its lock is advisory ({} = true says the scheduler prevents overlapping runs)",
        file,
        policy.overlapSetting());
  }

  public Path file() {
    return file;
  }

  @Override
  public void close() {
    stopHeartbeat();
    try {
      if (readQuietly(storage, file).equals(token)) {
        storage.fs(file).delete(file, false);
      } else {
        LOG.warn(
            "The lock {} no longer holds this run's token (it was broken as expired): left as it is",
            file);
      }
    } catch (IOException | RuntimeException e) {
      LOG.warn("Could not release the lock {}: {}; delete it by hand", file, e.toString());
    }
  }

  /** Stops refreshing, letting a refresh under way finish (on S3 it is an upload, not to be cut short). */
  private void stopHeartbeat() {
    heartbeat.shutdown();
    try {
      if (!heartbeat.awaitTermination(30, TimeUnit.SECONDS)) {
        heartbeat.shutdownNow();
      }
    } catch (InterruptedException e) {
      heartbeat.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Refreshes the lock's time: a touch where the file system has one, else (S3) a rewrite of the same token, as
   * long as the lock still holds it.
   */
  private void touch() {
    try {
      if (atomic) {
        storage.fs(file).setTimes(file, System.currentTimeMillis(), -1);
      } else if (readQuietly(storage, file).equals(token)) {
        storage.writeString(file, token);
      } else {
        LOG.warn("The lock {} no longer holds this run's token: not refreshed", file);
      }
    } catch (IOException | RuntimeException e) {
      LOG.warn("Could not refresh the lock {}: {}", file, e.toString());
    }
  }

  /**
   * The holder's token; on HDFS a lock appears at create() and its content at close(), so an empty lock is read
   * again for up to a second.
   */
  private static String holder(Storage storage, Path file) {
    String holder = readQuietly(storage, file);
    for (int i = 0; i < 10 && holder.isEmpty(); i++) {
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
      holder = readQuietly(storage, file);
    }
    return holder;
  }

  private static Duration age(FileStatus status) {
    return Duration.ofMillis(System.currentTimeMillis() - status.getModificationTime());
  }

  private static String readQuietly(Storage storage, Path file) {
    try {
      return storage.readString(file).trim();
    } catch (RuntimeException e) {
      return "";
    }
  }

  private static String owner() {
    String host;
    try {
      host = InetAddress.getLocalHost().getHostName();
    } catch (IOException e) {
      host = "unknown-host";
    }
    return "pid " + ManagementFactory.getRuntimeMXBean().getPid() + " on " + host;
  }

  /**
   * Creates {@code file} with {@code content} only if no file has that name: false if one exists. On a local or
   * mounted file system the content is written to a file of its own and hard-linked to the name (link(2) fails
   * atomically if the name exists, and the file appears complete); on HDFS it is renamed to the name (atomic at
   * the NameNode, and failing if the name exists). On an object store ({@code atomic} false)
   * create(overwrite=false) looks first and then writes, so the file is read back: another run's token there
   * means that run won.
   */
  private static boolean createIfAbsent(
      Storage storage, Path file, String content, boolean atomic) {
    FileSystem fs = storage.fs(file);
    byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
    try {
      fs.mkdirs(file.getParent());
      if (fs instanceof LocalFileSystem local) {
        return linkIfAbsent(local.pathToFile(file).toPath(), bytes);
      }
      if (atomic) {
        return renameIfAbsent(fs, file, bytes);
      }
      try (OutputStream out = fs.create(file, false)) {
        out.write(bytes);
      }
      return readQuietly(storage, file).equals(content);
    } catch (FileAlreadyExistsException | org.apache.hadoop.fs.FileAlreadyExistsException e) {
      return false;
    } catch (IOException e) {
      if (storage.exists(file)) {
        return false; // HDFS reports a lost create race in more than one way
      }
      throw StorageProblems.of(file, "cannot be created", e);
    }
  }

  /**
   * HDFS: the content is written to a file of its own and renamed to the name; the NameNode's rename fails
   * atomically if the name exists, and the lock appears with its holder's name in it (a lock made by create()
   * is visible, empty, until its writer closes it, which under load takes seconds).
   */
  private static boolean renameIfAbsent(FileSystem fs, Path file, byte[] content)
      throws IOException {
    Path token = Storage.hiddenSibling(file, "new");
    boolean renamed = false;
    try {
      try (OutputStream out = fs.create(token, false)) {
        out.write(content);
      }
      renamed = fs.rename(token, file);
      return renamed;
    } finally {
      if (!renamed) {
        fs.delete(token, false);
      }
    }
  }

  private static boolean linkIfAbsent(java.nio.file.Path name, byte[] content) throws IOException {
    java.nio.file.Path token =
        name.resolveSibling("." + name.getFileName() + ".new-" + UUID.randomUUID());
    Files.write(token, content);
    try {
      Files.createLink(name, token);
      return true;
    } catch (FileAlreadyExistsException e) {
      return false;
    } catch (UnsupportedOperationException | IOException e) { // a file system without hard links
      Files.write(Files.createFile(name), content);
      return true;
    } finally {
      Files.deleteIfExists(token);
    }
  }
}
