package org.vaespark.io;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileContext;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Options;
import org.apache.hadoop.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vaespark.error.InputFileException;
import org.vaespark.error.OutputExistsException;
import org.vaespark.error.StorageException;

/**
 * All file-system access of the tool, on any Hadoop file system, and its one way to publish: {@link #publish}
 * writes an output into a hidden staging folder next to the target, marks it with {@code _SUCCESS}, then renames
 * it into place, and deletes the staging folder if anything fails. Readers check for {@code _SUCCESS}
 * ({@link #requirePublished}), so they never see a half-written output. {@link #replace} does the same for one
 * small file that readers poll (a pointer, a decision).
 *
 * <p>The renames are atomic on HDFS and local file systems; on object stores (S3) a rename is a copy, so use S3A
 * committers and a versioned layout there (see README).
 */
public final class Storage {
  public static final String SUCCESS = "_SUCCESS";
  private static final Logger LOG = LoggerFactory.getLogger(Storage.class);

  private final Configuration hadoopConf;

  public Storage(Configuration hadoopConf) {
    this.hadoopConf = hadoopConf;
  }

  /** Writes the content of an output into the folder it is given (the staging folder). */
  @FunctionalInterface
  public interface Output {
    void writeTo(Path staging);
  }

  public FileSystem fs(Path path) {
    try {
      return path.getFileSystem(hadoopConf);
    } catch (IOException e) {
      throw new StorageException(path + ": no file system for this path: " + e.getMessage(), e);
    } catch (IllegalArgumentException e) { // HDFS reports an unknown NameNode host this way
      throw new StorageException(
          path + ": its file system cannot be reached (" + e.getMessage()
              + "): check the host name and scheme",
          e);
    }
  }

  public boolean exists(Path path) {
    try {
      return fs(path).exists(path);
    } catch (IOException e) {
      throw new StorageException(path + ": cannot be checked: " + e.getMessage(), e);
    }
  }

  /** Whether {@code folder} is a published output: it holds {@code _SUCCESS}. */
  public boolean isPublished(Path folder) {
    return exists(new Path(folder, SUCCESS));
  }

  /** Fails early, before any work, if {@code target} exists and may not be replaced. */
  public void checkWritable(Path target, boolean overwrite, String what) {
    if (exists(target) && !overwrite) {
      throw new OutputExistsException(what + " already exists at " + target
          + ": pass --overwrite to replace it, or choose another path");
    }
  }

  /**
   * Publishes the folder {@code output} writes at {@code target}: written to a fresh hidden staging folder, marked
   * {@code _SUCCESS} and renamed into place. An existing target is replaced only when {@code overwrite} is set:
   * it is moved aside first and deleted only once the new output is in place. On any failure the staging folder
   * is deleted and the target is left as it was.
   */
  public void publish(Path target, boolean overwrite, Output output) {
    Path staging = hiddenSibling(target, "staging");
    mkdirs(staging);
    staged(staging, () -> {
      output.writeTo(staging);
      writeString(new Path(staging, SUCCESS), "");
      moveIntoPlace(staging, target, overwrite);
    });
    LOG.info("Published {}", target);
  }

  /**
   * Replaces a small file in one atomic rename (HDFS and local disks): readers see the old content or the new,
   * never a mix or nothing.
   */
  public void replace(Path file, String content) {
    Path target = fs(file).makeQualified(file);
    Path staging = hiddenSibling(target, "tmp");
    staged(staging, () -> {
      writeString(staging, content);
      try {
        FileContext.getFileContext(target.toUri(), hadoopConf)
            .rename(staging, target, Options.Rename.OVERWRITE);
      } catch (IOException e) {
        throw new StorageException("cannot replace " + target + ": " + e.getMessage(), e);
      }
    });
  }

  /** Fails unless {@code path} is a published output (a folder with {@code _SUCCESS}). */
  public void requirePublished(Path path, String what, String producer) {
    if (!exists(path)) {
      throw new InputFileException(
          what + " not found at " + path + ": run '" + producer + "' first, or fix the path");
    }
    if (!isPublished(path)) {
      throw new InputFileException(what + " at " + path + " has no " + SUCCESS + " marker: the '"
          + producer + "' run that wrote it did not finish; run it again");
    }
  }

  public void writeString(Path path, String content) {
    writeBytes(path, content.getBytes(StandardCharsets.UTF_8));
  }

  public void writeBytes(Path path, byte[] content) {
    try (OutputStream out = fs(path).create(path, true)) {
      out.write(content);
    } catch (IOException e) {
      throw new StorageException("cannot write " + path + ": " + e.getMessage(), e);
    }
  }

  public String readString(Path path) {
    return new String(readBytes(path), StandardCharsets.UTF_8);
  }

  public byte[] readBytes(Path path) {
    try (InputStream in = fs(path).open(path)) {
      return in.readAllBytes();
    } catch (IOException e) {
      throw new InputFileException(path + ": cannot be read (" + e.getMessage() + ")", e);
    }
  }

  /** The entries of a folder; none if it does not exist. */
  public FileStatus[] list(Path folder) {
    try {
      FileSystem fs = fs(folder);
      return fs.exists(folder) ? fs.listStatus(folder) : new FileStatus[0];
    } catch (IOException e) {
      throw new StorageException("cannot list " + folder + ": " + e.getMessage(), e);
    }
  }

  /** The status of a file, or null if it does not exist. */
  public FileStatus status(Path path) {
    try {
      return fs(path).getFileStatus(path);
    } catch (FileNotFoundException e) {
      return null;
    } catch (IOException e) {
      throw new StorageException("cannot read the status of " + path + ": " + e.getMessage(), e);
    }
  }

  /** Deletes a file or folder (recursively); false if there was nothing to delete. */
  public boolean delete(Path path) {
    try {
      return fs(path).delete(path, true);
    } catch (IOException e) {
      throw new StorageException("cannot delete " + path + ": " + e.getMessage(), e);
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

  /** Runs {@code steps} on a staging path and deletes the staging path if they fail. */
  private void staged(Path staging, Runnable steps) {
    try {
      steps.run();
    } catch (RuntimeException e) {
      deleteQuietly(staging);
      throw e;
    }
  }

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
      throw new StorageException(
          "cannot publish " + staging + " to " + target + ": " + e.getMessage(), e);
    }
  }

  private void mkdirs(Path folder) {
    try {
      if (!fs(folder).mkdirs(folder)) {
        throw new IOException("mkdirs returned false");
      }
    } catch (IOException e) {
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
}
