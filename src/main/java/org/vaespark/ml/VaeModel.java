package org.vaespark.ml;

import java.util.List;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.ml.Model;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.LongParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.DefaultParamsReader$;
import org.apache.spark.ml.util.DefaultParamsWriter$;
import org.apache.spark.ml.util.Identifiable$;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.ml.util.MLWritable;
import org.apache.spark.ml.util.MLWriter;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vaespark.config.Settings;
import org.vaespark.config.SettingsLoader;
import org.vaespark.dataset.Images;
import org.vaespark.inference.RowScorer;
import org.vaespark.inference.ScoringModel;
import org.vaespark.io.Json;
import org.vaespark.io.Storage;
import org.vaespark.model.EpochMetrics;
import org.vaespark.model.ModelMetadata;
import org.vaespark.model.ModelStore;
import org.vaespark.model.VaeWeights;
import org.vaespark.neighbors.NeighborSearch;
import org.vaespark.source.ImageColumn;
import scala.Option;

/**
 * A trained VAE as a Spark ML model. {@code transform} adds, computed on the executors by the same inference as
 * {@code generate} and {@code score} (the weights broadcast once per model object): {@code z_mean} and
 * {@code z_log_var} (ML Vectors), {@code log_px} (importance-sampled with {@code importanceSamples} samples),
 * {@code reconstruction_log_prob} and {@code is_anomaly} ({@code log_px} below the threshold in the model's
 * metadata). Saved with {@link #write()}: Spark ML's params under {@code metadata/} and, under {@code data/},
 * the DL4J model file {@code model.zip} and this tool's {@code metadata.json}; loaded with {@link #load} or
 * {@link #read()}, also as a stage of a saved {@code PipelineModel}.
 */
public final class VaeModel extends Model<VaeModel> implements MLWritable {
  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger(VaeModel.class);
  static final String DATA = "data";

  private final String uid;
  private final Param<String> inputCol;
  private final Param<String> idCol;
  private final Param<String> zMeanCol;
  private final Param<String> zLogVarCol;
  private final Param<String> logPxCol;
  private final Param<String> reconstructionLogProbCol;
  private final Param<String> anomalyCol;
  private final IntParam importanceSamples;
  private final LongParam noiseSeed;

  private final byte[] modelZip;
  private final ModelMetadata metadata;
  private transient ScoringModel model;
  private transient Broadcast<VaeWeights> broadcast;

  /** A model of a trained network's file and metadata (as {@code VaeEstimator.fit} and the reader make it). */
  public VaeModel(String uid, byte[] modelZip, ModelMetadata metadata) {
    this.uid = uid;
    this.modelZip = modelZip;
    this.metadata = metadata;
    inputCol = VaeParams.inputCol(this);
    idCol = VaeParams.idCol(this);
    zMeanCol = VaeParams.zMeanCol(this);
    zLogVarCol = VaeParams.zLogVarCol(this);
    logPxCol = VaeParams.logPxCol(this);
    reconstructionLogProbCol = VaeParams.reconstructionLogProbCol(this);
    anomalyCol = VaeParams.anomalyCol(this);
    importanceSamples = VaeParams.importanceSamples(this);
    noiseSeed = VaeParams.noiseSeed(this);
    RowScorer.Columns names = RowScorer.Columns.DEFAULT;
    setDefault(inputCol, "image");
    setDefault(idCol, "id");
    setDefault(zMeanCol, names.zMean());
    setDefault(zLogVarCol, names.zLogVar());
    setDefault(logPxCol, names.logPx());
    setDefault(reconstructionLogProbCol, names.reconstruction());
    setDefault(anomalyCol, names.anomaly());
    setDefault(
        importanceSamples,
        metadata.anomaly() != null ? metadata.anomaly().importanceSamples() : 20);
    setDefault(noiseSeed, metadata.anomaly() != null ? metadata.anomaly().seed() : 13L);
  }

  /** The published model folder of the {@code train} job or of a {@code retrain} version, as a Spark ML model. */
  public static VaeModel fromModelFolder(SparkSession spark, String folder) {
    ScoringModel loaded = ScoringModel.load(
        new Storage(spark.sparkContext().hadoopConfiguration()), new Path(folder));
    return new VaeModel(
        Identifiable$.MODULE$.randomUID("vaeModel"), loaded.modelZip(), loaded.metadata());
  }

  @Override
  public String uid() {
    return uid;
  }

  public Param<String> inputCol() {
    return inputCol;
  }

  public Param<String> idCol() {
    return idCol;
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

  public IntParam importanceSamples() {
    return importanceSamples;
  }

  public LongParam noiseSeed() {
    return noiseSeed;
  }

  public VaeModel setInputCol(String value) {
    set(inputCol, value);
    return this;
  }

  public VaeModel setIdCol(String value) {
    set(idCol, value);
    return this;
  }

  public VaeModel setZMeanCol(String value) {
    set(zMeanCol, value);
    return this;
  }

  public VaeModel setLogPxCol(String value) {
    set(logPxCol, value);
    return this;
  }

  public VaeModel setAnomalyCol(String value) {
    set(anomalyCol, value);
    return this;
  }

  public VaeModel setImportanceSamples(int value) {
    set(importanceSamples, value);
    return this;
  }

  public VaeModel setNoiseSeed(long value) {
    set(noiseSeed, value);
    return this;
  }

  public String getInputCol() {
    return getOrDefault(inputCol);
  }

  public String getZMeanCol() {
    return getOrDefault(zMeanCol);
  }

  public int getImportanceSamples() {
    return (Integer) getOrDefault(importanceSamples);
  }

  /** The model's {@code metadata.json}: version, data, metrics, anomaly threshold. */
  public ModelMetadata metadata() {
    return metadata;
  }

  /** The metrics of every training epoch (train and held-out negative ELBO). */
  public List<EpochMetrics> history() {
    return metadata.history();
  }

  /** The anomaly threshold on {@code log_px} (null for a model trained before thresholds were recorded). */
  public ModelMetadata.Anomaly anomaly() {
    return metadata.anomaly();
  }

  public String version() {
    return metadata.modelVersion();
  }

  /** The size of the images the model takes (images of other sizes are resized when square or encoded). */
  public Images.Shape shape() {
    return scoring().shape();
  }

  ScoringModel scoring() {
    if (model == null) {
      model = ScoringModel.of(modelZip, metadata, "model " + metadata.modelVersion());
    }
    return model;
  }

  byte[] modelZip() {
    return modelZip;
  }

  /** The inference weights, broadcast once per model object. */
  synchronized Broadcast<VaeWeights> broadcast(SparkSession spark) {
    if (broadcast == null) {
      broadcast = JavaSparkContext.fromSparkContext(spark.sparkContext())
          .broadcast(scoring().weights());
    }
    return broadcast;
  }

  @Override
  public StructType transformSchema(StructType schema) {
    return VaeParams.outputSchema(
        schema,
        getInputCol(),
        getOrDefault(zMeanCol),
        getOrDefault(zLogVarCol),
        getOrDefault(logPxCol),
        getOrDefault(reconstructionLogProbCol),
        getOrDefault(anomalyCol));
  }

  @Override
  public Dataset<Row> transform(Dataset<?> dataset) {
    transformSchema(dataset.schema());
    int k = getImportanceSamples();
    if (metadata.anomaly() != null && metadata.anomaly().importanceSamples() != k) {
      LOG.warn(
          "importanceSamples = {}, but the anomaly threshold was computed with k = {}: log_px rises with k, so "
              + "is_anomaly flags a different share",
          k,
          metadata.anomaly().importanceSamples());
    }
    Dataset<Row> rows = dataset.toDF();
    String id = getOrDefault(idCol);
    boolean hasId = java.util.Arrays.asList(rows.columns()).contains(id);
    return RowScorer.score(
        rows,
        broadcast(rows.sparkSession()),
        new ImageColumn.Reader(shape(), "the DataFrame", getInputCol()),
        getInputCol(),
        hasId ? id : null,
        k,
        (Long) getOrDefault(noiseSeed),
        metadata.anomaly(),
        new RowScorer.Columns(
            getOrDefault(zMeanCol),
            getOrDefault(zLogVarCol),
            getOrDefault(logPxCol),
            getOrDefault(reconstructionLogProbCol),
            getOrDefault(anomalyCol)),
        true);
  }

  /**
   * The {@code k} nearest rows of {@code reference} to each row of {@code queries} in {@code z_mean} space (both
   * with a long {@code id}, the image in {@code inputCol} and, for the reference, an optional int {@code label}):
   * rows of query_id, rank, neighbor_id, neighbor_label, distance. Exact (blocked on the executors) while queries
   * x reference rows is at most {@code exactMaxPairs}, else Spark ML's BucketedRandomProjectionLSH
   * ({@code vae.neighbors} settings: hash tables, bucket length, seed).
   */
  public Dataset<Row> neighbors(Dataset<?> queries, Dataset<?> reference, int k) {
    SparkSession spark = queries.sparkSession();
    Settings.NeighborSettings settings =
        SettingsLoader.load(null, java.util.Map.of()).neighbors();
    Dataset<Row> q = NeighborSearch.embed(queries.toDF(), getInputCol(), broadcast(spark), shape());
    Dataset<Row> r =
        NeighborSearch.embed(reference.toDF(), getInputCol(), broadcast(spark), shape());
    String method = NeighborSearch.method(settings, q.count() * r.count());
    return NeighborSearch.find(q, r, k, method, settings);
  }

  @Override
  public VaeModel copy(ParamMap extra) {
    VaeModel copied = new VaeModel(uid, modelZip, metadata);
    return copyValues(copied, extra).setParent(parent());
  }

  @Override
  public MLWriter write() {
    return new Writer(this);
  }

  public static MLReader<VaeModel> read() {
    return new Reader();
  }

  public static VaeModel load(String path) {
    return read().load(path);
  }

  /**
   * Spark ML's params as JSON under {@code metadata/} (Spark's {@code DefaultParamsWriter}, which Scala declares
   * private to the {@code org.apache.spark.ml} package; that is a compile-time rule of Scala's, and its bytecode is
   * public, so Java calls it as Spark's own stages do), the DL4J model and this tool's metadata under
   * {@code data/}.
   */
  private static final class Writer extends MLWriter {
    private final VaeModel model;

    Writer(VaeModel model) {
      this.model = model;
    }

    @Override
    public void saveImpl(String path) {
      DefaultParamsWriter$.MODULE$.saveMetadata(model, path, sc(), Option.empty(), Option.empty());
      Storage storage = new Storage(sc().hadoopConfiguration());
      Path data = new Path(path, DATA);
      storage.writeBytes(new Path(data, ModelStore.MODEL_FILE), model.modelZip);
      storage.writeString(new Path(data, ModelStore.METADATA_FILE), Json.pretty(model.metadata));
    }
  }

  /** Reads what {@link Writer} wrote (Spark's {@code DefaultParamsReader} for the params, as above). */
  private static final class Reader extends MLReader<VaeModel> {
    @Override
    public VaeModel load(String path) {
      DefaultParamsReader.Metadata params =
          DefaultParamsReader$.MODULE$.loadMetadata(path, sc(), VaeModel.class.getName());
      Storage storage = new Storage(sc().hadoopConfiguration());
      Path data = new Path(path, DATA);
      Path metadataFile = new Path(data, ModelStore.METADATA_FILE);
      ModelMetadata metadata = Json.parse(
          storage.readString(metadataFile), ModelMetadata.class, metadataFile.toString());
      byte[] zip = storage.readBytes(new Path(data, ModelStore.MODEL_FILE));
      VaeModel model = new VaeModel(params.uid(), zip, metadata);
      params.getAndSetParams(model, Option.empty());
      return model;
    }
  }
}
