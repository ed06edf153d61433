package org.vaespark.io;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileContext;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Options;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;
import org.apache.hadoop.fs.UnsupportedFileSystemException;
import org.apache.hadoop.fs.permission.FsAction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vaespark.error.InputFileException;
import org.vaespark.error.OutputExistsException;
import org.vaespark.error.StorageException;

/**
 * All file-system access of the tool, on any Hadoop file system, and its one way to publish: {@link #publish}
 * writes an output into a hidden staging folder next to the target, then makes it visible with a {@code _SUCCESS}
 * marker that lists every file of the output ({@link PublishedFiles}); readers trust only that marker
 * ({@link #requirePublished}), so they never read a half-written output.
 *
 * <p>How the output is made visible depends on the file system. Where renaming a folder is atomic (HDFS, local
 * disks: {@code vae.storage.atomic-schemes}) the marker is written into the staging folder and the folder is
 * renamed into place in one step. On an object store (S3), where a rename is a copy of every file, the files are
 * copied into the target one by one under a {@code _PUBLISHING} marker, and {@code _SUCCESS} is written last, in
 * one PUT: a job that dies midway leaves a target without {@code _SUCCESS}, which readers refuse by name and the
 * next run replaces. {@link #replace} writes one small file that readers poll (a pointer, a decision) so that
 * they see the old content or the new, never a mix.
 */
public final class Storage {
  public static final String SUCCESS = "_SUCCESS";
  /** Marks a target being copied into place on an object store; removed once {@code _SUCCESS} is written. */
  public static final String PUBLISHING = "_PUBLISHING";
  /** The default of {@code vae.storage.atomic-schemes} (reference.conf). */
  public static final List<String> ATOMIC_SCHEMES =
      List.of("file", "hdfs", "viewfs", "webhdfs", "swebhdfs");
  /**
   * Test-only: a JVM started with {@code -Dvae.testing.pause-publication-after-files=N} stops for ten minutes
   * after copying N files of an output into place on an object store, so that a test can kill it there.
   */
  public static final String PAUSE_PROPERTY = "vae.testing.pause-publication-after-files";

  /** File systems whose permission checks are made by their server (a client-side guess could be wrong). */
  private static final Set<String> SERVER_CHECKED_PERMISSIONS =
      Set.of("hdfs", "viewfs", "webhdfs", "swebhdfs");

  private static final Logger LOG = LoggerFactory.getLogger(Storage.class);

  private final Configuration hadoopConf;
  private final Set<String> atomicSchemes;

  public Storage(Configuration hadoopConf) {
    this(hadoopConf, ATOMIC_SCHEMES);
  }

  public Storage(Configuration hadoopConf, Collection<String> atomicSchemes) {
    this.hadoopConf = hadoopConf;
    this.atomicSchemes =
        Set.copyOf(atomicSchemes.stream().map(s -> s.toLowerCase(Locale.ROOT)).toList());
  }

  /** Writes the content of an output into the folder it is given (the staging folder). */
  @FunctionalInterface
  public interface Output {
    void writeTo(Path staging);
  }

  public FileSystem fs(Path path) {
    try {
      return path.getFileSystem(hadoopConf);
    } catch (UnsupportedFileSystemException e) {
      throw StorageProblems.noFileSystem(path, e);
    } catch (IOException e) {
      throw StorageProblems.of(path, "no file system for this path", e);
    } catch (IllegalArgumentException e) { // HDFS reports an unknown NameNode host this way
      throw new StorageException(
          path + ": its file system cannot be reached (" + StorageProblems.firstLine(e)
              + "): check the host name and scheme",
          e);
    } catch (RuntimeException e) {
      if (hasCause(
          e, ClassNotFoundException.class)) { // the scheme's class is configured but not there
        throw StorageProblems.noFileSystem(path, e);
      }
      throw e;
    }
  }

  /**
   * Whether renaming a folder and creating a file only if it is absent are atomic on {@code path}'s file system
   * (its scheme is in {@code vae.storage.atomic-schemes}); false on object stores such as S3.
   */
  public boolean isAtomic(Path path) {
    String scheme = fs(path).getUri().getScheme();
    return scheme != null && atomicSchemes.contains(scheme.toLowerCase(Locale.ROOT));
  }

  public boolean exists(Path path) {
    try {
      return fs(path).exists(path);
    } catch (IOException e) {
      throw StorageProblems.of(path, "cannot be checked", e);
    }
  }

  /** Whether {@code folder} is a published output: it holds {@code _SUCCESS}. */
  public boolean isPublished(Path folder) {
    return exists(new Path(folder, SUCCESS));
  }

  /**
   * Whether {@code folder} is an output a job was copying into place on an object store when it died: it holds
   * {@code _PUBLISHING} and no {@code _SUCCESS}. The next run may replace it without {@code --overwrite}.
   */
  public boolean isHalfCopied(Path folder) {
    return exists(new Path(folder, PUBLISHING)) && !isPublished(folder);
  }

  /**
   * Fails early, before any work, if {@code target} exists and may not be replaced, or (where the file system's
   * server checks permissions) if this user may not write where it would go.
   */
  public void checkWritable(Path target, boolean overwrite, String what) {
    if (exists(target)) {
      if (!overwrite && !isHalfCopied(target)) {
        throw new OutputExistsException(what + " already exists at " + target
            + (isPublished(target) ? "" : " (without " + SUCCESS + ": not a finished output)")
            + ": pass --overwrite to replace it, or choose another path");
      }
    }
    requireWritableParent(target);
  }

  /**
   * Publishes the folder {@code output} writes at {@code target} (see the class comment). An existing target is
   * replaced only when {@code overwrite} is set or it is a half-copied leftover ({@link #isHalfCopied}). On any
   * failure the staging folder is deleted; where renames are atomic the target is then left as it was.
   */
  public void publish(Path target, boolean overwrite, Output output) {
    Path staging = hiddenSibling(target, "staging");
    mkdirs(staging);
    staged(staging, () -> {
      output.writeTo(staging);
      if (isAtomic(target)) {
        writeString(new Path(staging, SUCCESS), Json.pretty(PublishedFiles.of(files(staging))));
        moveIntoPlace(staging, target, overwrite);
      } else {
        copyIntoPlace(staging, target, overwrite);
      }
    });
    LOG.info("Published {}", target);
  }

  /**
   * Replaces a small file so that readers see the old content or the new, never a mix or nothing: one atomic
   * rename where renames are atomic, else one PUT of the whole file (an object store shows an object only once
   * it is complete).
   */
  public void replace(Path file, String content) {
    Path target = fs(file).makeQualified(file);
    if (!isAtomic(target)) {
      writeString(target, content);
      return;
    }
    Path staging = hiddenSibling(target, "tmp");
    staged(staging, () -> {
      writeString(staging, content);
      try {
        FileContext.getFileContext(target.toUri(), hadoopConf)
            .rename(staging, target, Options.Rename.OVERWRITE);
      } catch (IOException e) {
        throw StorageProblems.of(target, "cannot be replaced", e);
      }
    });
  }

  /**
   * Fails unless {@code path} is a published output: it holds {@code _SUCCESS}, and every file that marker lists
   * is there.
   */
  public void requirePublished(Path path, String what, String producer) {
    if (!exists(path)) {
      throw new InputFileException(
          what + " not found at " + path + ": run '" + producer + "' first, or fix the path");
    }
    if (isHalfCopied(path)) {
      throw new InputFileException(what + " at " + path + " is half-copied (" + PUBLISHING
          + " without " + SUCCESS + "): the '" + producer
          + "' run that published it died midway; run it again (it replaces this folder)");
    }
    if (!isPublished(path)) {
      throw new InputFileException(what + " at " + path + " has no " + SUCCESS + " marker: the '"
          + producer + "' run that wrote it did not finish; run it again");
    }
    Path marker = new Path(path, SUCCESS);
    String listed = readString(marker).trim();
    if (!listed.isEmpty()) {
      String difference = Json.parse(listed, PublishedFiles.class, marker.toString())
          .firstMissing(files(path).keySet());
      if (difference != null) {
        throw new InputFileException(what + " at " + path + " is incomplete: " + difference
            + " (its " + SUCCESS + " lists every published file); run '" + producer
            + "' again with --overwrite");
      }
    }
  }

  public void writeString(Path path, String content) {
    writeBytes(path, content.getBytes(StandardCharsets.UTF_8));
  }

  public void writeBytes(Path path, byte[] content) {
    try (OutputStream out = fs(path).create(path, true)) {
      out.write(content);
    } catch (IOException e) {
      throw StorageProblems.of(path, "cannot be written", e);
    }
  }

  public String readString(Path path) {
    return new String(readBytes(path), StandardCharsets.UTF_8);
  }

  public byte[] readBytes(Path path) {
    try (InputStream in = fs(path).open(path)) {
      return in.readAllBytes();
    } catch (IOException e) {
      if (StorageProblems.describe(e) != null) {
        throw StorageProblems.of(path, "cannot be read", e);
      }
      throw new InputFileException(path + ": cannot be read (" + e.getMessage() + ")", e);
    }
  }

  /** The entries of a folder; none if it does not exist. */
  public FileStatus[] list(Path folder) {
    try {
      FileSystem fs = fs(folder);
      return fs.exists(folder) ? fs.listStatus(folder) : new FileStatus[0];
    } catch (IOException e) {
      throw StorageProblems.of(folder, "cannot be listed", e);
    }
  }

  /** The status of a file, or null if it does not exist. */
  public FileStatus status(Path path) {
    try {
      return fs(path).getFileStatus(path);
    } catch (FileNotFoundException e) {
      return null;
    } catch (IOException e) {
      throw StorageProblems.of(path, "cannot be read (its status)", e);
    }
  }

  /** Deletes a file or folder (recursively); false if there was nothing to delete. */
  public boolean delete(Path path) {
    try {
      return fs(path).delete(path, true);
    } catch (IOException e) {
      throw StorageProblems.of(path, "cannot be deleted", e);
    }
  }

  /** Deletes quietly: after a failure, where the original error matters more than this one. */
  public void deleteQuietly(Path path) {
    try {
      fs(path).delete(path, true);
    } catch (IOException | RuntimeException e) {
      LOG.warn("Could not delete {}: {}", path, e.toString());
    }
  }

  /** Renames a file or folder; fails, naming both, if the file system refuses. */
  public void rename(Path from, Path to) {
    try {
      rename(fs(from), from, to);
    } catch (IOException e) {
      throw new StorageException("cannot rename " + from + " to " + to + ": " + e.getMessage(), e);
    }
  }

  /** Renames; false if the file system refused (another process renamed it first, for one). */
  public boolean renameQuietly(Path from, Path to) {
    try {
      return fs(from).rename(from, to);
    } catch (IOException e) {
      return false;
    }
  }

  /** A hidden name next to {@code target} (hidden names are skipped by Spark, Hive and checkpoint listing). */
  public static Path hiddenSibling(Path target, String role) {
    return new Path(
        target.getParent(), "." + target.getName() + "." + role + "-" + UUID.randomUUID());
  }

  /**
   * Every file under {@code folder} (recursively) by its '/'-separated path inside it, with its size; the
   * folder's own markers ({@code _SUCCESS}, {@code _PUBLISHING}) are left out.
   */
  Map<String, Long> files(Path folder) {
    Map<String, Long> sizes = new TreeMap<>();
    try {
      FileSystem fs = fs(folder);
      String base = fs.makeQualified(folder).toUri().getPath();
      RemoteIterator<LocatedFileStatus> it = fs.listFiles(folder, true);
      while (it.hasNext()) {
        LocatedFileStatus file = it.next();
        String relative = file.getPath().toUri().getPath().substring(base.length() + 1);
        if (!relative.equals(SUCCESS) && !relative.equals(PUBLISHING)) {
          sizes.put(relative, file.getLen());
        }
      }
    } catch (IOException e) {
      throw StorageProblems.of(folder, "cannot be listed", e);
    }
    return sizes;
  }

  /** Runs {@code steps} on a staging path and deletes the staging path if they fail. */
  private void staged(Path staging, Runnable steps) {
    try {
      steps.run();
    } catch (RuntimeException e) {
      deleteStaging(staging);
      throw e;
    }
  }

  /**
   * Deletes a failed job's staging folder, and again if it comes back within a second: Spark kills the other tasks
   * of a failed job asynchronously, and one still writing recreates the folder after the first delete.
   */
  private void deleteStaging(Path staging) {
    deleteQuietly(staging);
    for (int i = 0; i < 8; i++) {
      try {
        Thread.sleep(125);
      } catch (InterruptedException interrupted) {
        Thread.currentThread().interrupt();
        return;
      }
      if (exists(staging)) {
        deleteQuietly(staging);
      }
    }
  }

  /** Atomic file systems: one rename of the marked staging folder (after moving an old target aside). */
  private void moveIntoPlace(Path staging, Path target, boolean overwrite) {
    FileSystem fs = fs(target);
    try {
      Path old = null;
      if (fs.exists(target)) {
        if (!overwrite) {
          throw new OutputExistsException(
              target + " appeared while this job ran: pass --overwrite to replace it");
        }
        old = hiddenSibling(target, "replaced");
        rename(fs, target, old);
      }
      fs.mkdirs(target.getParent());
      rename(fs, staging, target);
      if (old != null) {
        fs.delete(old, true);
      }
    } catch (IOException e) {
      throw StorageProblems.of(target, "cannot be published from " + staging, e);
    }
  }

  /**
   * Object stores: an old target loses its {@code _SUCCESS} first (readers refuse it from then on) and is
   * deleted; the target gets {@code _PUBLISHING}, then every file of the staging folder, then {@code _SUCCESS}
   * listing them, in one PUT. A failure midway deletes what was copied; a kill leaves a target that readers
   * refuse as half-copied.
   */
  private void copyIntoPlace(Path staging, Path target, boolean overwrite) {
    FileSystem fs = fs(target);
    deleteIfExists(
        fs, new Path(staging, SUCCESS)); // Spark's own marker: ours comes last, in the target
    PublishedFiles published = PublishedFiles.of(files(staging));
    if (exists(target)) {
      if (!overwrite && !isHalfCopied(target)) {
        throw new OutputExistsException(
            target + " appeared while this job ran: pass --overwrite to replace it");
      }
      deleteIfExists(fs, new Path(target, SUCCESS));
      delete(target);
    }
    writeString(
        new Path(target, PUBLISHING),
        "being copied from " + staging + " since " + Instant.now() + "\n");
    try {
      int copied = 0;
      for (PublishedFiles.Entry file : published.files()) {
        moveFile(fs, new Path(staging, file.path()), new Path(target, file.path()));
        pauseIfAsked(target, ++copied);
      }
      writeString(new Path(target, SUCCESS), Json.pretty(published));
    } catch (RuntimeException e) {
      deleteQuietly(target);
      throw e;
    }
    deleteQuietly(new Path(target, PUBLISHING));
    deleteQuietly(staging);
  }

  private void moveFile(FileSystem fs, Path from, Path to) {
    try {
      if (!fs.rename(from, to)) {
        fs.mkdirs(to.getParent());
        rename(fs, from, to);
      }
    } catch (IOException e) {
      throw StorageProblems.of(to, "cannot be copied into place from " + from, e);
    }
  }

  private void deleteIfExists(FileSystem fs, Path path) {
    try {
      fs.delete(path, false);
    } catch (FileNotFoundException e) {
      // nothing to delete
    } catch (IOException e) {
      throw StorageProblems.of(path, "cannot be deleted", e);
    }
  }

  private static void pauseIfAsked(Path target, int copied) {
    String after = System.getProperty(PAUSE_PROPERTY);
    if (after != null && Integer.parseInt(after.trim()) == copied) {
      LOG.warn(
          "Publication of {} paused after {} files ({} is set)", target, copied, PAUSE_PROPERTY);
      try {
        Thread.sleep(Duration.ofMinutes(10).toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** Where the file system's server checks permissions: this user may write where {@code target} goes. */
  private void requireWritableParent(Path target) {
    FileSystem fs = fs(target);
    if (!SERVER_CHECKED_PERMISSIONS.contains(fs.getScheme())) {
      return;
    }
    Path ancestor = target.getParent();
    while (ancestor != null && !exists(ancestor)) {
      ancestor = ancestor.getParent();
    }
    if (ancestor == null) {
      return;
    }
    try {
      fs.access(ancestor, FsAction.WRITE);
    } catch (IOException e) {
      throw StorageProblems.of(target, "cannot be written under " + ancestor, e);
    }
  }

  private void mkdirs(Path folder) {
    try {
      if (!fs(folder).mkdirs(folder)) {
        throw new IOException("mkdirs returned false");
      }
    } catch (IOException e) {
      if (StorageProblems.describe(e) != null) {
        throw StorageProblems.of(folder, "cannot be created", e);
      }
      throw new StorageException(
          "cannot create " + folder + " (" + e.getMessage() + "): check that " + folder.getParent()
              + " is a folder this user can write",
          e);
    }
  }

  private static void rename(FileSystem fs, Path from, Path to) throws IOException {
    if (!fs.rename(from, to)) {
      throw new IOException("rename of " + from + " to " + to + " failed");
    }
  }

  private static boolean hasCause(Throwable failure, Class<? extends Throwable> type) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (type.isInstance(t)) {
        return true;
      }
    }
    return false;
  }
}
