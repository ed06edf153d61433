package org.vaespark.storage;

import org.vaespark.testing.TestStore;
import org.vaespark.testing.TestStores;

/** The pipeline with every path on an in-process HDFS ({@code MiniDFSCluster}). */
class HdfsPipelineTest extends StoragePipelineContract {
  @Override
  TestStore store() {
    return TestStores.hdfs();
  }
}
