package org.vaespark.retrain;

import org.vaespark.testing.TestStore;
import org.vaespark.testing.TestStores;

/**
 * {@link RetrainFaultsContract} on an in-process HDFS: the lock is one create(overwrite=false) at the NameNode,
 * refreshed by setTimes, broken by one rename.
 */
class HdfsRetrainFaultsTest extends RetrainFaultsContract {
  @Override
  protected TestStore store() {
    return TestStores.hdfs();
  }
}
