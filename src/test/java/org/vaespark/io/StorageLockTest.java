package org.vaespark.io;

import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;
import org.vaespark.testing.TestStore;
import org.vaespark.testing.TestStores;

/** {@link StorageLockContract} on the local disk (a hard link: link(2) fails if the name exists). */
class StorageLockTest extends StorageLockContract {
  @TempDir
  Path dir;

  @Override
  protected TestStore store() {
    return TestStores.local(dir);
  }
}
