package org.vaespark.retrain;

import org.vaespark.testing.TestStore;
import org.vaespark.testing.TestStores;

/** {@link RetrainFaultsContract} on the local disk. */
class RetrainFaultsTest extends RetrainFaultsContract {
  @Override
  protected TestStore store() {
    return TestStores.local(dir);
  }
}
