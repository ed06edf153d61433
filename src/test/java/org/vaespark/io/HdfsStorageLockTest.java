package org.vaespark.io;

import org.vaespark.testing.TestStore;
import org.vaespark.testing.TestStores;

/** {@link StorageLockContract} on an in-process HDFS (create(overwrite=false) at the NameNode). */
class HdfsStorageLockTest extends StorageLockContract {
  @Override
  protected TestStore store() {
    return TestStores.hdfs();
  }
}
