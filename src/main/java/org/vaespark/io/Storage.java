package org.vaespark.io;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes job outputs atomically on any Hadoop file system: a job writes everything under a hidden staging
 * folder next to the target, marks it with {@code _SUCCESS}, then renames it into place. Readers check for
 * {@code _SUCCESS}, so they never see a half-written output. An existing output is replaced only when the
 * caller allows it (the {@code --overwrite} flag).
 *
 * <p>The rename is atomic on HDFS and local file systems; on object stores (S3) it is a copy, so use S3A
 * committers and a versioned layout there (see README).
 */
public final class Storage {
  public static final String SUCCESS = "_SUCCESS";
  private static final Logger LOG = LoggerFactory.getLogger(Storage.class);

  private final Configuration hadoopConf;

  public Storage(Configuration hadoopConf) {
    this.hadoopConf = hadoopConf;
  }

  public Configuration hadoopConf() {
    return hadoopConf;
  }

  public FileSystem fs(Path path) {
    try {
      return path.getFileSystem(hadoopConf);
    } catch (IOException e) {
      throw new UncheckedIOException(path + ": no file system for this path: " + e.getMessage(), e);
    } catch (IllegalArgumentException e) { // HDFS reports an unknown NameNode host this way
      throw new UncheckedIOException(
          path + ": its file system cannot be reached (" + e.getMessage() + "): check the host name and scheme",
          new IOException(e));
    }
  }

  public boolean exists(Path path) {
    try {
      return fs(path).exists(path);
    } catch (IOException e) {
      throw new UncheckedIOException(path + ": cannot be checked: " + e.getMessage(), e);
    }
  }

  /** Fails early, before any work, if {@code target} exists and may not be replaced. */
  public void checkWritable(Path target, boolean overwrite, String what) {
    if (exists(target) && !overwrite) {
      throw new OutputExistsException(
          what + " already exists at " + target + ": pass --overwrite to replace it, or choose another path");
    }
  }

  /** A fresh hidden staging folder next to {@code target} (hidden names are skipped by Spark and Hive). */
  public Path newStaging(Path target) {
    Path staging = new Path(target.getParent(), "." + target.getName() + ".staging-" + UUID.randomUUID());
    try {
      if (!fs(staging).mkdirs(staging)) {
        throw new IOException("mkdirs returned false");
      }
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot create staging folder " + staging + " (" + e.getMessage() + "): check that " + target.getParent()
              + " is a folder this user can write (vae.paths.output)", e);
    }
    return staging;
  }

  /**
   * Marks {@code staging} complete and moves it to {@code target}. An existing target is first moved aside and
   * deleted only after the new output is in place.
   */
  public void publish(Path staging, Path target, boolean overwrite) {
    FileSystem fs = fs(target);
    try {
      writeString(new Path(staging, SUCCESS), "");
      Path old = null;
      if (fs.exists(target)) {
        if (!overwrite) {
          throw new OutputExistsException(
              target + " appeared while this job ran: pass --overwrite to replace it");
        }
        old = new Path(target.getParent(), "." + target.getName() + ".replaced-" + UUID.randomUUID());
        rename(fs, target, old);
      }
      fs.mkdirs(target.getParent());
      rename(fs, staging, target);
      if (old != null) {
        fs.delete(old, true);
      }
      LOG.info("Published {}", target);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot publish " + staging + " to " + target + ": " + e.getMessage(), e);
    }
  }

  /** Removes a staging folder after a failure; never throws, since the original error matters more. */
  public void discard(Path staging) {
    try {
      fs(staging).delete(staging, true);
    } catch (IOException | RuntimeException e) {
      LOG.warn("Could not delete staging folder {}: {}", staging, e.toString());
    }
  }

  /** Fails unless {@code path} is a published output (a folder with {@code _SUCCESS}). */
  public void requirePublished(Path path, String what, String producer) {
    if (!exists(path)) {
      throw new InputFileException(what + " not found at " + path + ": run '" + producer + "' first, or fix the path");
    }
    if (!exists(new Path(path, SUCCESS))) {
      throw new InputFileException(
          what + " at " + path + " has no " + SUCCESS + " marker: the '" + producer
              + "' run that wrote it did not finish; run it again");
    }
  }

  public void writeString(Path path, String content) {
    try (OutputStream out = fs(path).create(path, true)) {
      out.write(content.getBytes(StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + path + ": " + e.getMessage(), e);
    }
  }

  public void writeBytes(Path path, byte[] content) {
    try (OutputStream out = fs(path).create(path, true)) {
      out.write(content);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + path + ": " + e.getMessage(), e);
    }
  }

  /**
   * Replaces a small file in one atomic rename (HDFS and local disks): readers see the old content or the new,
   * never a mix or nothing. Used for pointers and decisions that readers poll.
   */
  public void replaceAtomically(Path path, String content) {
    Path target = fs(path).makeQualified(path);
    Path temporary = new Path(target.getParent(), "." + target.getName() + ".tmp-" + UUID.randomUUID());
    writeString(temporary, content);
    try {
      org.apache.hadoop.fs.FileContext.getFileContext(target.toUri(), hadoopConf)
          .rename(temporary, target, org.apache.hadoop.fs.Options.Rename.OVERWRITE);
    } catch (IOException e) {
      discard(temporary);
      throw new UncheckedIOException("cannot replace " + target + ": " + e.getMessage(), e);
    }
  }

  public String readString(Path path) {
    try (InputStream in = fs(path).open(path)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new InputFileException(path + ": cannot be read (" + e.getMessage() + ")", e);
    }
  }

  private static void rename(FileSystem fs, Path from, Path to) throws IOException {
    if (!fs.rename(from, to)) {
      throw new IOException("rename of " + from + " to " + to + " failed");
    }
  }
}
