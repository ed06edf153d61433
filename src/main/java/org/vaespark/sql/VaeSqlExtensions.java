package org.vaespark.sql;

import org.apache.spark.sql.SparkSessionExtensions;
import scala.Tuple3;
import scala.runtime.AbstractFunction1;
import scala.runtime.BoxedUnit;

/**
 * Adds the SQL functions of {@link VaeFunctions} to every session built with
 * {@code spark.sql.extensions=org.vaespark.sql.VaeSqlExtensions} (spark-sql, spark-shell, PySpark, a Java or
 * Scala application; the jar on the classpath). Without the setting, {@link VaeFunctions#register} adds them to a
 * session that exists.
 */
public final class VaeSqlExtensions extends AbstractFunction1<SparkSessionExtensions, BoxedUnit> {
  @Override
  public BoxedUnit apply(SparkSessionExtensions extensions) {
    for (String name : VaeFunctions.NAMES) {
      extensions.injectFunction(new Tuple3<>(
          VaeFunctions.identifier(name), VaeFunctions.info(name), new VaeFunctions.Builder(name)));
    }
    return BoxedUnit.UNIT;
  }
}
