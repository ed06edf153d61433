package org.vaespark.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.RemoteIterator;

/**
 * A file system the tests run the tool on: the local disk, an in-process HDFS ({@link TestStores#hdfs()}) or an
 * S3-compatible server ({@link TestStores#s3()}). It says how a client in this JVM reaches it ({@link
 * #configure}) and how the tool in a child JVM does (the environment and options a user would give), and lists
 * what is there through Hadoop.
 */
public interface TestStore {
  /** "local", "hdfs" or "s3". */
  String name();

  /** A new, empty folder on the store (nothing is created): a URI such as hdfs://localhost:1234/t/name-uuid. */
  String root(String name);

  /** Sets what a Hadoop client in this JVM needs to reach the store (nothing for local disks and HDFS). */
  default void configure(Configuration conf) {}

  /** Environment variables for the tool in a child JVM (S3: the credentials, as README tells users). */
  default Map<String, String> environment() {
    return Map.of();
  }

  /**
   * Command-line options for the tool, in this JVM or a child (S3: a --config file with the endpoint, written
   * into {@code dir}).
   */
  default List<String> options(Path dir) {
    return List.of();
  }

  /** A Hadoop configuration that reaches the store. */
  default Configuration hadoopConf() {
    Configuration conf = new Configuration();
    configure(conf);
    return conf;
  }

  /** The file system of {@code uri}, configured by {@link #configure}. */
  default FileSystem fs(String uri) {
    try {
      return new org.apache.hadoop.fs.Path(uri).getFileSystem(hadoopConf());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  default boolean exists(String uri) {
    try {
      return fs(uri).exists(new org.apache.hadoop.fs.Path(uri));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Every file under {@code uri} (recursively) as a path relative to it, in order; none if it does not exist. */
  default List<String> files(String uri) {
    List<String> files = new ArrayList<>();
    org.apache.hadoop.fs.Path root = new org.apache.hadoop.fs.Path(uri);
    try {
      FileSystem fs = fs(uri);
      if (!fs.exists(root)) {
        return files;
      }
      String base = fs.makeQualified(root).toUri().getPath();
      RemoteIterator<LocatedFileStatus> it = fs.listFiles(root, true);
      while (it.hasNext()) {
        files.add(it.next().getPath().toUri().getPath().substring(base.length() + 1));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    files.sort(null);
    return files;
  }

  /** The names of the folders directly under {@code uri}, in order; none if it does not exist. */
  default List<String> folders(String uri) {
    List<String> names = new ArrayList<>();
    org.apache.hadoop.fs.Path root = new org.apache.hadoop.fs.Path(uri);
    try {
      FileSystem fs = fs(uri);
      if (fs.exists(root)) {
        for (FileStatus status : fs.listStatus(root)) {
          if (status.isDirectory()) {
            names.add(status.getPath().getName());
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    names.sort(null);
    return names;
  }

  /** The modification time of a file, in milliseconds since the epoch. */
  default long modificationTime(String uri) {
    try {
      return fs(uri).getFileStatus(new org.apache.hadoop.fs.Path(uri)).getModificationTime();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static String unique(String name) {
    return name + "-" + UUID.randomUUID().toString().substring(0, 8);
  }
}
