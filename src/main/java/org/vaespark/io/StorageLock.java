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
import org.vaespark.error.StorageException;

/**
 * An exclusive lock held as a file on storage, so that two runs on the same output (two {@code retrain}s) never
 * write at the same time. Taking it is one atomic create-if-absent (a hard link on local disks, create(overwrite=false) on HDFS). A lock older
 * than the expiry is deemed left by a run that was killed: it is renamed away (only one contender's rename
 * succeeds) and taken. While held, a daemon thread touches the file every fifth of the expiry, so a live run's
 * lock never expires and a killed run's lock expires soon. Releasing deletes the file only if it still holds this
 * run's token.
 */
public final class StorageLock implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(StorageLock.class);

  private final Storage storage;
  private final Path file;
  private final String token;
  private final ScheduledExecutorService heartbeat;

  private StorageLock(Storage storage, Path file, String token, Duration expiry) {
    this.storage = storage;
    this.file = file;
    this.token = token;
    this.heartbeat = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread thread = new Thread(r, "storage-lock-heartbeat");
      thread.setDaemon(true);
      return thread;
    });
    long period = Math.max(1, expiry.toMillis() / 5);
    heartbeat.scheduleAtFixedRate(this::touch, period, period, TimeUnit.MILLISECONDS);
  }

  /**
   * Takes the lock or fails at once with {@link LockedException}; never waits.
   *
   * @param expirySetting the configuration key of {@code expiry}, named in the messages
   */
  public static StorageLock acquire(
      Storage storage, Path file, Duration expiry, String expirySetting) {
    String token = owner() + " token " + UUID.randomUUID() + " since " + Instant.now();
    if (createIfAbsent(storage, file, token)) {
      return new StorageLock(storage, file, token, expiry);
    }
    FileStatus held = storage.status(file);
    if (held != null && age(held).compareTo(expiry) > 0) {
      Path broken = Storage.hiddenSibling(file, "expired");
      if (storage.renameQuietly(file, broken)) {
        LOG.warn(
            "Broke the lock {} held by '{}': older than {} = {} (kept as {})",
            file,
            storage.readString(broken).trim(),
            expirySetting,
            expiry,
            broken);
        if (createIfAbsent(storage, file, token)) {
          return new StorageLock(storage, file, token, expiry);
        }
      }
    }
    String holder = held == null ? "a run that just finished" : readQuietly(storage, file);
    if (holder.isEmpty()) {
      holder = "a run that is still writing its name into it";
    }
    throw new LockedException("another run holds the lock " + file + " (" + holder
        + "): try again when it has finished; if none is "
        + "running, the run that held it was killed: delete " + file
        + " or wait until it is older than "
        + expirySetting);
  }

  public Path file() {
    return file;
  }

  @Override
  public void close() {
    heartbeat.shutdownNow();
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

  private void touch() {
    try {
      storage.fs(file).setTimes(file, System.currentTimeMillis(), -1);
    } catch (IOException | RuntimeException e) {
      LOG.warn("Could not refresh the lock {}: {}", file, e.toString());
    }
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
   * Creates {@code file} with {@code content} only if no file has that name, atomically: false if one exists. On
   * a local or mounted file system the content is written to a file of its own and hard-linked to the name
   * (link(2) fails atomically if the name exists, and the file appears complete); on HDFS create(overwrite=false)
   * is atomic at the NameNode.
   */
  private static boolean createIfAbsent(Storage storage, Path file, String content) {
    FileSystem fs = storage.fs(file);
    byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
    try {
      fs.mkdirs(file.getParent());
      if (fs instanceof LocalFileSystem local) {
        return linkIfAbsent(local.pathToFile(file).toPath(), bytes);
      }
      try (OutputStream out = fs.create(file, false)) {
        out.write(bytes);
      }
      return true;
    } catch (FileAlreadyExistsException | org.apache.hadoop.fs.FileAlreadyExistsException e) {
      return false;
    } catch (IOException e) {
      if (storage.exists(file)) {
        return false; // HDFS reports a lost create race in more than one way
      }
      throw new StorageException("cannot create " + file + ": " + e.getMessage(), e);
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
