package org.vaespark.storage;

import java.util.List;
import org.vaespark.testing.TestStore;
import org.vaespark.testing.TestStores;

/** The pipeline with every path on an S3-compatible server, through S3A with path-style access. */
class S3PipelineTest extends StoragePipelineContract {
  @Override
  TestStore store() {
    return TestStores.s3();
  }

  @Override
  List<String> retrainSettings() {
    return List.of("--set", "vae.retrain.scheduler-prevents-overlap=true");
  }
}
