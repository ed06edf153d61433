package org.vaespark.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Path;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.hdfs.MiniDFSCluster;

/**
 * A real HDFS inside the test JVM: Hadoop's {@code MiniDFSCluster} (one NameNode, one DataNode, on loopback
 * ports chosen by the system), with its storage under a test folder. Clients in this JVM and in child JVMs reach
 * it at {@link #uri()}; {@link #close()} shuts it down.
 */
public final class MiniHdfs implements AutoCloseable {
  private final MiniDFSCluster cluster;

  private MiniHdfs(MiniDFSCluster cluster) {
    this.cluster = cluster;
  }

  public static MiniHdfs start(Path baseDir) {
    Configuration conf = new Configuration();
    conf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, baseDir.toAbsolutePath().toString());
    // Both nodes on loopback only.
    conf.set("dfs.namenode.rpc-bind-host", "127.0.0.1");
    conf.set("dfs.datanode.address", "127.0.0.1:0");
    conf.set("dfs.datanode.http.address", "127.0.0.1:0");
    conf.set("dfs.datanode.ipc.address", "127.0.0.1:0");
    try {
      MiniDFSCluster cluster =
          new MiniDFSCluster.Builder(conf).numDataNodes(1).nameNodePort(0).build();
      cluster.waitActive();
      return new MiniHdfs(cluster);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start the in-process HDFS under " + baseDir, e);
    }
  }

  /** hdfs://127.0.0.1:port */
  public URI uri() {
    return cluster.getURI();
  }

  public FileSystem fileSystem() {
    try {
      return cluster.getFileSystem();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() {
    cluster.shutdown(true);
  }
}
