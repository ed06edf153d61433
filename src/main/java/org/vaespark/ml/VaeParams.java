package org.vaespark.ml;

import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.param.DoubleParam;
import org.apache.spark.ml.param.IntArrayParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.LongParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamValidators;
import org.apache.spark.ml.param.Params;
import org.apache.spark.ml.util.SchemaUtils;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.vaespark.error.InputFileException;
import org.vaespark.source.ImageColumn;

/**
 * The params of {@link VaeEstimator} and {@link VaeModel}, declared once: each factory makes one param for its
 * owner with its name, documentation and validation (Spark ML's conventions: camelCase names, {@code xxxCol} for
 * columns). The owners expose them through public no-argument methods, which is how Spark ML finds params.
 */
final class VaeParams {
  private VaeParams() {}

  static Param<String> inputCol(Params owner) {
    return new Param<>(
        owner,
        "inputCol",
        "image column: binary (raw 8-bit pixels of the image size, or an encoded PNG/JPEG/BMP/GIF image), an "
            + "array of numbers (0..255, or intensities in [0, 1]), an ML Vector of intensities in [0, 1], or "
            + "Spark's image struct");
  }

  static Param<String> idCol(Params owner) {
    return new Param<>(
        owner,
        "idCol",
        "a long id column: each batch's noise is seeded by its first id, as generate does (without it, by "
            + "the partition and position)");
  }

  static Param<String> zMeanCol(Params owner) {
    return new Param<>(owner, "zMeanCol", "output: the mean of q(z|x), an ML Vector");
  }

  static Param<String> zLogVarCol(Params owner) {
    return new Param<>(owner, "zLogVarCol", "output: the log-variance of q(z|x), an ML Vector");
  }

  static Param<String> logPxCol(Params owner) {
    return new Param<>(owner, "logPxCol", "output: the importance-sampled log p(x) in nats");
  }

  static Param<String> reconstructionLogProbCol(Params owner) {
    return new Param<>(
        owner,
        "reconstructionLogProbCol",
        "output: log of the mean of p(x|z) over the same samples, in nats");
  }

  static Param<String> anomalyCol(Params owner) {
    return new Param<>(
        owner,
        "anomalyCol",
        "output: whether log_px is below the model's anomaly threshold (a quantile of its train split's log_px)");
  }

  static IntParam importanceSamples(Params owner) {
    return new IntParam(
        owner,
        "importanceSamples",
        "importance samples k of log_px (the anomaly threshold was computed with the model's own k)",
        ParamValidators.gtEq(1));
  }

  static LongParam noiseSeed(Params owner) {
    return new LongParam(owner, "noiseSeed", "seed of the importance samples' noise");
  }

  static IntArrayParam encoderLayerSizes(Params owner) {
    return new IntArrayParam(owner, "encoderLayerSizes", "widths of the encoder's hidden layers");
  }

  static IntArrayParam decoderLayerSizes(Params owner) {
    return new IntArrayParam(owner, "decoderLayerSizes", "widths of the decoder's hidden layers");
  }

  static IntParam latentSize(Params owner) {
    return new IntParam(owner, "latentSize", "dimensions of z", ParamValidators.inRange(1, 4096));
  }

  static Param<String> activation(Params owner) {
    return new Param<>(
        owner,
        "activation",
        "activation of the hidden layers: relu, leakyrelu, tanh, sigmoid, elu, softplus, swish");
  }

  static IntParam imageRows(Params owner) {
    return new IntParam(
        owner, "imageRows", "image height in pixels", ParamValidators.inRange(1, 1024));
  }

  static IntParam imageCols(Params owner) {
    return new IntParam(
        owner, "imageCols", "image width in pixels", ParamValidators.inRange(1, 1024));
  }

  static IntParam epochs(Params owner) {
    return new IntParam(owner, "epochs", "training epochs", ParamValidators.gtEq(1));
  }

  static IntParam batchSize(Params owner) {
    return new IntParam(owner, "batchSize", "minibatch size per worker", ParamValidators.gtEq(1));
  }

  static DoubleParam learningRate(Params owner) {
    return new DoubleParam(
        owner, "learningRate", "Adam's learning rate on each worker", ParamValidators.gt(0));
  }

  static IntParam averagingFrequency(Params owner) {
    return new IntParam(
        owner,
        "averagingFrequency",
        "minibatches each worker fits between two parameter averagings",
        ParamValidators.gtEq(1));
  }

  static IntParam workers(Params owner) {
    return new IntParam(
        owner,
        "workers",
        "parallel training workers (0: Spark's default parallelism)",
        ParamValidators.gtEq(0));
  }

  static LongParam seed(Params owner) {
    return new LongParam(owner, "seed", "training seed: initial weights, minibatch order, noise");
  }

  static Param<String> validationIndicatorCol(Params owner) {
    return new Param<>(
        owner,
        "validationIndicatorCol",
        "boolean column: true rows are held out and their negative ELBO measured after every epoch (\"\": none)");
  }

  static DoubleParam anomalyQuantile(Params owner) {
    return new DoubleParam(
        owner,
        "anomalyQuantile",
        "quantile of the train rows' log_px below which an image is an anomaly",
        ParamValidators.inRange(0, 1, false, false));
  }

  static Param<String> checkpointDir(Params owner) {
    return new Param<>(
        owner,
        "checkpointDir",
        "folder for per-epoch checkpoints to resume an interrupted fit from (\"\": none)");
  }

  /**
   * The schema {@code transform} gives: {@code schema} with the output columns, after checking that the input
   * column holds images and no output column exists yet (IllegalArgumentException, as Spark ML stages throw).
   */
  static StructType outputSchema(
      StructType schema,
      String inputCol,
      String zMeanCol,
      String zLogVarCol,
      String logPxCol,
      String reconstructionCol,
      String anomalyCol) {
    checkInput(schema, inputCol);
    StructType out = schema;
    out = SchemaUtils.appendColumn(out, zMeanCol, SQLDataTypes.VectorType(), false);
    out = SchemaUtils.appendColumn(out, zLogVarCol, SQLDataTypes.VectorType(), false);
    out = SchemaUtils.appendColumn(out, logPxCol, DataTypes.DoubleType, false);
    out = SchemaUtils.appendColumn(out, reconstructionCol, DataTypes.DoubleType, false);
    return SchemaUtils.appendColumn(out, anomalyCol, DataTypes.BooleanType, false);
  }

  /** Fails unless {@code inputCol} exists and holds images ({@link ImageColumn}). */
  static void checkInput(StructType schema, String inputCol) {
    if (!java.util.Arrays.asList(schema.fieldNames()).contains(inputCol)) {
      throw new IllegalArgumentException("input column '" + inputCol + "' does not exist (columns: "
          + String.join(", ", schema.fieldNames()) + "): set inputCol");
    }
    StructField field = schema.apply(inputCol);
    try {
      ImageColumn.kind(field.dataType(), inputCol, "the DataFrame");
    } catch (InputFileException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
  }
}
