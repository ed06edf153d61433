package org.vaespark.retrain;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vaespark.io.Storage;

/**
 * An exclusive lock held as a file on storage, so that two {@code retrain} runs on the same output never write at
 * the same time. Taking it is one atomic create-if-absent: {@code O_CREAT|O_EXCL} on a local or mounted file
 * system, {@code create(overwrite=false)} on HDFS (atomic at the NameNode). A lock older than the expiry is
 * deemed left by a run that was killed: it is renamed away (only one contender's rename succeeds) and taken.
 * While held, a daemon thread touches the file every fifth of the expiry, so a live run's lock never expires
 * and a killed run's lock expires soon. Releasing deletes the file only if it still holds this run's token.
 */
public final class StorageLock implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(StorageLock.class);

  private final Storage storage;
  private final Path file;
  private final String token;
  private final java.util.concurrent.ScheduledExecutorService heartbeat;

  private StorageLock(Storage storage, Path file, String token, Duration expiry) {
    this.storage = storage;
    this.file = file;
    this.token = token;
    this.heartbeat = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
      Thread thread = new Thread(r, "retrain-lock-heartbeat");
      thread.setDaemon(true);
      return thread;
    });
    long period = Math.max(1, expiry.toMillis() / 5);
    heartbeat.scheduleAtFixedRate(this::touch, period, period, java.util.concurrent.TimeUnit.MILLISECONDS);
  }

  private void touch() {
    try {
      storage.fs(file).setTimes(file, System.currentTimeMillis(), -1);
    } catch (IOException | RuntimeException e) {
      LOG.warn("Could not refresh the lock {}: {}", file, e.toString());
    }
  }

  /** Takes the lock or fails at once with {@link LockedException}; never waits. */
  public static StorageLock acquire(Storage storage, Path file, Duration expiry) {
    String token = owner() + " token " + UUID.randomUUID() + " since " + Instant.now();
    if (tryCreate(storage, file, token)) {
      return new StorageLock(storage, file, token, expiry);
    }
    FileStatus held = status(storage, file);
    if (held != null && Duration.ofMillis(System.currentTimeMillis() - held.getModificationTime()).compareTo(expiry) > 0) {
      Path broken = new Path(file.getParent(), "." + file.getName() + ".expired-" + UUID.randomUUID());
      if (rename(storage, file, broken)) {
        LOG.warn("Broke the lock {} held by '{}': older than vae.retrain.lock-expiry = {} (kept as {})",
            file, storage.readString(broken).trim(), expiry, broken);
        if (tryCreate(storage, file, token)) {
          return new StorageLock(storage, file, token, expiry);
        }
      }
    }
    String holder = held == null ? "a run that just finished" : readQuietly(storage, file);
    if (holder.isEmpty()) {
      holder = "a run that is still writing its name into it";
    }
    throw new LockedException(
        "another retrain holds the lock " + file + " (" + holder + "): try again when it has finished; if no "
            + "retrain is running, the run that held it was killed: delete " + file + " or wait until it is older "
            + "than vae.retrain.lock-expiry");
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
        LOG.warn("The lock {} no longer holds this run's token (it was broken as expired): left as it is", file);
      }
    } catch (IOException | RuntimeException e) {
      LOG.warn("Could not release the lock {}: {}; delete it by hand", file, e.toString());
    }
  }

  private static boolean tryCreate(Storage storage, Path file, String token) {
    FileSystem fs = storage.fs(file);
    byte[] content = token.getBytes(StandardCharsets.UTF_8);
    try {
      fs.mkdirs(file.getParent());
      if (fs instanceof LocalFileSystem local) {
        return createLocal(local.pathToFile(file).toPath(), content);
      }
      try (OutputStream out = fs.create(file, false)) {
        out.write(content);
      }
      return true;
    } catch (FileAlreadyExistsException | org.apache.hadoop.fs.FileAlreadyExistsException e) {
      return false;
    } catch (IOException e) {
      if (storage.exists(file)) {
        return false; // HDFS reports a lost create race in more than one way
      }
      throw new UncheckedIOException("cannot create the lock " + file + ": " + e.getMessage(), e);
    }
  }

  /**
   * Hadoop's local create(overwrite=false) checks and then creates. Here the token is written to a file of its
   * own and hard-linked to the lock's name: link(2) fails atomically if the name exists, and the lock appears
   * with its content complete, so a contender can always say who holds it.
   */
  private static boolean createLocal(java.nio.file.Path lock, byte[] content) throws IOException {
    java.nio.file.Path token = lock.resolveSibling("." + lock.getFileName() + ".new-" + UUID.randomUUID());
    Files.write(token, content);
    try {
      Files.createLink(lock, token);
      return true;
    } catch (FileAlreadyExistsException e) {
      return false;
    } catch (UnsupportedOperationException | IOException e) { // a file system without hard links
      Files.write(Files.createFile(lock), content);
      return true;
    } finally {
      Files.deleteIfExists(token);
    }
  }

  private static FileStatus status(Storage storage, Path file) {
    try {
      return storage.fs(file).getFileStatus(file);
    } catch (java.io.FileNotFoundException e) {
      return null;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the lock " + file + ": " + e.getMessage(), e);
    }
  }

  private static boolean rename(Storage storage, Path from, Path to) {
    try {
      return storage.fs(from).rename(from, to);
    } catch (IOException e) {
      return false;
    }
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
}
