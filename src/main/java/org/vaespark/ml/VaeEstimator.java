package org.vaespark.ml;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.monotonically_increasing_id;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;
import org.apache.spark.ml.Estimator;
import org.apache.spark.ml.param.DoubleParam;
import org.apache.spark.ml.param.IntArrayParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.LongParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.DefaultParamsWritable;
import org.apache.spark.ml.util.Identifiable$;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.ml.util.MLWriter;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.BooleanType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import org.vaespark.config.Settings;
import org.vaespark.config.SettingsLoader;
import org.vaespark.dataset.Images;
import org.vaespark.job.JobContext;
import org.vaespark.runtime.NativeBuilds;
import org.vaespark.source.ImageColumn;
import org.vaespark.train.Training;
import org.vaespark.train.TrainingData;

/**
 * The VAE as a Spark ML estimator: {@code fit(df)} trains on the images of {@code inputCol} with the same
 * training the {@code train} job runs ({@link Training}: parameter averaging on the executors, one barrier job
 * per epoch, the anomaly threshold at the end), with the settings that matter as params, and returns a
 * {@link VaeModel}. Rows whose {@code validationIndicatorCol} is true are held out: their negative ELBO is
 * measured after every epoch (in {@link VaeModel#history()}), as the {@code train} job measures its test split.
 * Every other setting (the training step, threads, the averaging port, ...) is the configuration's
 * ({@code reference.conf}, {@code -Dvae....} system properties).
 */
public final class VaeEstimator extends Estimator<VaeModel> implements DefaultParamsWritable {
  private static final long serialVersionUID = 1L;

  private final String uid;
  private final Param<String> inputCol;
  private final Param<String> idCol;
  private final Param<String> validationIndicatorCol;
  private final IntArrayParam encoderLayerSizes;
  private final IntArrayParam decoderLayerSizes;
  private final IntParam latentSize;
  private final Param<String> activation;
  private final IntParam imageRows;
  private final IntParam imageCols;
  private final IntParam epochs;
  private final IntParam batchSize;
  private final DoubleParam learningRate;
  private final IntParam averagingFrequency;
  private final IntParam workers;
  private final LongParam seed;
  private final Param<String> checkpointDir;
  private final IntParam importanceSamples;
  private final DoubleParam anomalyQuantile;
  private final LongParam noiseSeed;
  private final Param<String> zMeanCol;
  private final Param<String> zLogVarCol;
  private final Param<String> logPxCol;
  private final Param<String> reconstructionLogProbCol;
  private final Param<String> anomalyCol;

  public VaeEstimator() {
    this(Identifiable$.MODULE$.randomUID("vaeEstimator"));
  }

  /** With the defaults of {@code reference.conf} (the {@code train} job's). */
  public VaeEstimator(String uid) {
    this.uid = uid;
    inputCol = VaeParams.inputCol(this);
    idCol = VaeParams.idCol(this);
    validationIndicatorCol = VaeParams.validationIndicatorCol(this);
    encoderLayerSizes = VaeParams.encoderLayerSizes(this);
    decoderLayerSizes = VaeParams.decoderLayerSizes(this);
    latentSize = VaeParams.latentSize(this);
    activation = VaeParams.activation(this);
    imageRows = VaeParams.imageRows(this);
    imageCols = VaeParams.imageCols(this);
    epochs = VaeParams.epochs(this);
    batchSize = VaeParams.batchSize(this);
    learningRate = VaeParams.learningRate(this);
    averagingFrequency = VaeParams.averagingFrequency(this);
    workers = VaeParams.workers(this);
    seed = VaeParams.seed(this);
    checkpointDir = VaeParams.checkpointDir(this);
    importanceSamples = VaeParams.importanceSamples(this);
    anomalyQuantile = VaeParams.anomalyQuantile(this);
    noiseSeed = VaeParams.noiseSeed(this);
    zMeanCol = VaeParams.zMeanCol(this);
    zLogVarCol = VaeParams.zLogVarCol(this);
    logPxCol = VaeParams.logPxCol(this);
    reconstructionLogProbCol = VaeParams.reconstructionLogProbCol(this);
    anomalyCol = VaeParams.anomalyCol(this);
    Settings defaults = SettingsLoader.load(null, Map.of());
    setDefault(inputCol, "image");
    setDefault(idCol, "id");
    setDefault(validationIndicatorCol, "");
    setDefault(encoderLayerSizes, ints(defaults.model().encoderLayerSizes()));
    setDefault(decoderLayerSizes, ints(defaults.model().decoderLayerSizes()));
    setDefault(latentSize, defaults.model().latentSize());
    setDefault(activation, defaults.model().activation());
    setDefault(imageRows, defaults.prepare().imageRows());
    setDefault(imageCols, defaults.prepare().imageCols());
    setDefault(epochs, defaults.training().epochs());
    setDefault(batchSize, defaults.training().batchSizePerWorker());
    setDefault(learningRate, defaults.training().learningRate());
    setDefault(averagingFrequency, defaults.training().averagingFrequency());
    setDefault(workers, defaults.training().workers());
    setDefault(seed, defaults.training().seed());
    setDefault(checkpointDir, "");
    setDefault(importanceSamples, defaults.score().importanceSamples());
    setDefault(anomalyQuantile, defaults.score().anomalyQuantile());
    setDefault(noiseSeed, defaults.evaluate().seed());
    org.vaespark.inference.RowScorer.Columns names =
        org.vaespark.inference.RowScorer.Columns.DEFAULT;
    setDefault(zMeanCol, names.zMean());
    setDefault(zLogVarCol, names.zLogVar());
    setDefault(logPxCol, names.logPx());
    setDefault(reconstructionLogProbCol, names.reconstruction());
    setDefault(anomalyCol, names.anomaly());
  }

  private static int[] ints(java.util.List<Integer> values) {
    return values.stream().mapToInt(Integer::intValue).toArray();
  }

  @Override
  public String uid() {
    return uid;
  }

  // Params, as Spark ML finds them (public methods without arguments that return a Param).

  public Param<String> inputCol() {
    return inputCol;
  }

  public Param<String> idCol() {
    return idCol;
  }

  public Param<String> validationIndicatorCol() {
    return validationIndicatorCol;
  }

  public IntArrayParam encoderLayerSizes() {
    return encoderLayerSizes;
  }

  public IntArrayParam decoderLayerSizes() {
    return decoderLayerSizes;
  }

  public IntParam latentSize() {
    return latentSize;
  }

  public Param<String> activation() {
    return activation;
  }

  public IntParam imageRows() {
    return imageRows;
  }

  public IntParam imageCols() {
    return imageCols;
  }

  public IntParam epochs() {
    return epochs;
  }

  public IntParam batchSize() {
    return batchSize;
  }

  public DoubleParam learningRate() {
    return learningRate;
  }

  public IntParam averagingFrequency() {
    return averagingFrequency;
  }

  public IntParam workers() {
    return workers;
  }

  public LongParam seed() {
    return seed;
  }

  public Param<String> checkpointDir() {
    return checkpointDir;
  }

  public IntParam importanceSamples() {
    return importanceSamples;
  }

  public DoubleParam anomalyQuantile() {
    return anomalyQuantile;
  }

  public LongParam noiseSeed() {
    return noiseSeed;
  }

  public Param<String> zMeanCol() {
    return zMeanCol;
  }

  public Param<String> zLogVarCol() {
    return zLogVarCol;
  }

  public Param<String> logPxCol() {
    return logPxCol;
  }

  public Param<String> reconstructionLogProbCol() {
    return reconstructionLogProbCol;
  }

  public Param<String> anomalyCol() {
    return anomalyCol;
  }

  public VaeEstimator setInputCol(String value) {
    set(inputCol, value);
    return this;
  }

  public VaeEstimator setIdCol(String value) {
    set(idCol, value);
    return this;
  }

  public VaeEstimator setValidationIndicatorCol(String value) {
    set(validationIndicatorCol, value);
    return this;
  }

  public VaeEstimator setEncoderLayerSizes(int... value) {
    set(encoderLayerSizes, value);
    return this;
  }

  public VaeEstimator setDecoderLayerSizes(int... value) {
    set(decoderLayerSizes, value);
    return this;
  }

  public VaeEstimator setLatentSize(int value) {
    set(latentSize, value);
    return this;
  }

  public VaeEstimator setActivation(String value) {
    set(activation, value);
    return this;
  }

  public VaeEstimator setImageSize(int rows, int cols) {
    set(imageRows, rows);
    set(imageCols, cols);
    return this;
  }

  public VaeEstimator setEpochs(int value) {
    set(epochs, value);
    return this;
  }

  public VaeEstimator setBatchSize(int value) {
    set(batchSize, value);
    return this;
  }

  public VaeEstimator setLearningRate(double value) {
    set(learningRate, value);
    return this;
  }

  public VaeEstimator setAveragingFrequency(int value) {
    set(averagingFrequency, value);
    return this;
  }

  public VaeEstimator setWorkers(int value) {
    set(workers, value);
    return this;
  }

  public VaeEstimator setSeed(long value) {
    set(seed, value);
    return this;
  }

  public VaeEstimator setCheckpointDir(String value) {
    set(checkpointDir, value);
    return this;
  }

  public VaeEstimator setImportanceSamples(int value) {
    set(importanceSamples, value);
    return this;
  }

  public VaeEstimator setAnomalyQuantile(double value) {
    set(anomalyQuantile, value);
    return this;
  }

  public VaeEstimator setNoiseSeed(long value) {
    set(noiseSeed, value);
    return this;
  }

  private String string(Param<String> param) {
    return getOrDefault(param);
  }

  private Images.Shape shape() {
    return new Images.Shape((Integer) getOrDefault(imageRows), (Integer) getOrDefault(imageCols));
  }

  @Override
  public StructType transformSchema(StructType schema) {
    String validation = string(validationIndicatorCol);
    if (!validation.isEmpty()) {
      if (!Arrays.asList(schema.fieldNames()).contains(validation)
          || !(schema.apply(validation).dataType() instanceof BooleanType)) {
        throw new IllegalArgumentException("validationIndicatorCol '" + validation
            + "' must be a boolean column of the DataFrame (columns: "
            + String.join(", ", schema.fieldNames()) + ")");
      }
    }
    String id = string(idCol);
    if (Arrays.asList(schema.fieldNames()).contains(id)
        && !(schema.apply(id).dataType() instanceof NumericType)) {
      throw new IllegalArgumentException("idCol '" + id + "' must be a numeric (long) column");
    }
    return VaeParams.outputSchema(
        schema,
        string(inputCol),
        string(zMeanCol),
        string(zLogVarCol),
        string(logPxCol),
        string(reconstructionLogProbCol),
        string(anomalyCol));
  }

  /**
   * Trains on the DataFrame's images and returns the model. The images are converted once ({@link ImageColumn})
   * and kept cached (memory, then disk) while training runs.
   */
  @Override
  public VaeModel fit(Dataset<?> dataset) {
    transformSchema(dataset.schema());
    NativeBuilds.configure();
    SparkSession spark = dataset.sparkSession();
    Settings settings = SettingsLoader.load(null, overrides());
    Dataset<Row> examples = examples(dataset.toDF()).persist(StorageLevel.MEMORY_AND_DISK());
    try {
      String validation = string(validationIndicatorCol);
      Dataset<Row> train = validation.isEmpty()
          ? examples.select("id", "pixels")
          : examples.where(col("held_out").equalTo(false)).select("id", "pixels");
      Dataset<Row> heldOut =
          validation.isEmpty() ? null : examples.where(col("held_out")).select("id", "pixels");
      TrainingData data = TrainingData.of(train, heldOut, shape(), "DataFrame given to " + uid);
      Training.Trained trained = new Training(JobContext.of(spark, settings)).run(data, null);
      VaeModel model = new VaeModel(uid, trained.modelZip(), trained.metadata());
      return copyValues(model, ParamMap.empty()).setParent(this);
    } finally {
      examples.unpersist(false);
    }
  }

  /** The DataFrame as rows of id, pixels (the model's size) and whether held out, converted on the executors. */
  private Dataset<Row> examples(Dataset<Row> df) {
    String id = string(idCol);
    Column ids = Arrays.asList(df.columns()).contains(id)
        ? col(id).cast(DataTypes.LongType)
        : monotonically_increasing_id();
    String validation = string(validationIndicatorCol);
    Column heldOut =
        validation.isEmpty() ? org.apache.spark.sql.functions.lit(false) : col(validation);
    StructType schema = new StructType()
        .add("id", DataTypes.LongType, false)
        .add("pixels", DataTypes.BinaryType, false)
        .add("held_out", DataTypes.BooleanType, false);
    ImageColumn.Reader images = new ImageColumn.Reader(shape(), "the DataFrame", string(inputCol));
    return df.select(ids, col(string(inputCol)), heldOut)
        .map(
            (org.apache.spark.api.java.function.MapFunction<Row, Row>) row -> RowFactory.create(
                row.getLong(0), images.pixels(row, 1), !row.isNullAt(2) && row.getBoolean(2)),
            org.apache.spark.sql.Encoders.row(schema));
  }

  /** The params as configuration keys, over {@code reference.conf} and system properties. */
  private Map<String, String> overrides() {
    Map<String, String> keys = new LinkedHashMap<>();
    keys.put("vae.model.encoder-layer-sizes", list(getOrDefault(encoderLayerSizes)));
    keys.put("vae.model.decoder-layer-sizes", list(getOrDefault(decoderLayerSizes)));
    keys.put("vae.model.latent-size", String.valueOf(getOrDefault(latentSize)));
    keys.put("vae.model.activation", string(activation));
    keys.put("vae.prepare.image-size", shape().toString());
    keys.put("vae.training.epochs", String.valueOf(getOrDefault(epochs)));
    keys.put("vae.training.batch-size-per-worker", String.valueOf(getOrDefault(batchSize)));
    keys.put("vae.training.learning-rate", String.valueOf(getOrDefault(learningRate)));
    keys.put("vae.training.averaging-frequency", String.valueOf(getOrDefault(averagingFrequency)));
    keys.put("vae.training.workers", String.valueOf(getOrDefault(workers)));
    keys.put("vae.training.seed", String.valueOf(getOrDefault(seed)));
    keys.put("vae.score.importance-samples", String.valueOf(getOrDefault(importanceSamples)));
    keys.put("vae.score.anomaly-quantile", String.valueOf(getOrDefault(anomalyQuantile)));
    keys.put("vae.evaluate.seed", String.valueOf(getOrDefault(noiseSeed)));
    String checkpoints = string(checkpointDir);
    if (checkpoints.isEmpty()) {
      // No checkpoints: a folder of its own that is never written, so that nothing else is cleared.
      keys.put(
          "vae.paths.checkpoints",
          System.getProperty("java.io.tmpdir") + "/vae-estimator-" + UUID.randomUUID());
      keys.put("vae.training.checkpoint.interval", "0");
      keys.put("vae.training.checkpoint.resume", "false");
    } else {
      keys.put("vae.paths.checkpoints", checkpoints);
      keys.put("vae.training.checkpoint.resume", "true");
    }
    return keys;
  }

  private static String list(int[] values) {
    return Arrays.stream(values)
        .mapToObj(String::valueOf)
        .collect(Collectors.joining(",", "[", "]"));
  }

  @Override
  public VaeEstimator copy(ParamMap extra) {
    return defaultCopy(extra);
  }

  @Override
  public MLWriter write() {
    return DefaultParamsWritable.super.write();
  }

  public static MLReader<VaeEstimator> read() {
    return new DefaultParamsReader<>();
  }

  public static VaeEstimator load(String path) {
    return read().load(path);
  }
}
