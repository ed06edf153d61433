package org.vaespark.retrain;

import java.util.List;
import org.vaespark.testing.TestStore;
import org.vaespark.testing.TestStores;

/**
 * {@link RetrainFaultsContract} on an S3-compatible server, where the lock is advisory (the scheduler is declared
 * to prevent overlap): a run that starts while another holds it is still refused, the holder refreshes it by
 * rewriting it, and a killed run's lock expires and is broken.
 */
class S3RetrainFaultsTest extends RetrainFaultsContract {
  @Override
  protected TestStore store() {
    return TestStores.s3();
  }

  @Override
  protected List<String> storeSettings() {
    return List.of("--set", "vae.retrain.scheduler-prevents-overlap=true");
  }
}
