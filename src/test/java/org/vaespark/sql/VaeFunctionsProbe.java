package org.vaespark.sql;

/** What the SQL functions' model cache has done in this JVM, for tests in other packages. */
public final class VaeFunctionsProbe {
  private VaeFunctionsProbe() {}

  public static long loads() {
    return ModelCache.loads();
  }

  public static long loadsInTasks() {
    return ModelCache.loadsInTasks();
  }

  public static long rowsInTasks() {
    return ModelCache.rowsInTasks();
  }
}
