package org.vaespark.generate;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.row_number;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vaespark.config.Settings;
import org.vaespark.dataset.Images;
import org.vaespark.dataset.Minibatches;
import org.vaespark.dataset.MnistDataset;
import org.vaespark.error.InputFileException;
import org.vaespark.io.Json;
import org.vaespark.io.Storage;
import org.vaespark.job.JobContext;
import org.vaespark.model.EpochMetrics;
import org.vaespark.model.ModelStore;
import org.vaespark.model.VaeWeights;

/**
 * The final job: loads a published model and writes, under one published folder, samples decoded from
 * z ~ N(0, I) (Parquet and PNG), test digits beside their reconstructions (PNG), latent embeddings of every
 * example (Parquet), the loss curves (PNG) and a scatter of the test embeddings by label (PNG, PCA to 2-D when
 * the latent space is larger).
 */
public final class GenerateJob {
  public static final String SAMPLES = "samples";
  public static final String SAMPLES_PNG = "samples.png";
  public static final String RECONSTRUCTIONS_PNG = "reconstructions.png";
  public static final String EMBEDDINGS = "embeddings";
  public static final String LOSS_PNG = "loss_curves.png";
  public static final String SCATTER_PNG = "latent_scatter.png";
  public static final String UMAP_PNG = "latent_umap.png";
  public static final String MANIFOLD_PNG = "latent_manifold.png";
  public static final String INTERPOLATIONS_PNG = "interpolations.png";
  public static final String ANOMALIES_PNG = "anomalies.png";
  /** Beside the embeddings' Parquet files: how their log_px column was computed. */
  public static final String EMBEDDING_COLUMNS = "_columns.json";

  static final StructType SAMPLE_SCHEMA = new StructType(new StructField[] {
    DataTypes.createStructField("sample_id", DataTypes.IntegerType, false),
    DataTypes.createStructField("model_version", DataTypes.StringType, false),
    DataTypes.createStructField("z", DataTypes.createArrayType(DataTypes.FloatType, false), false),
    DataTypes.createStructField("pixels", DataTypes.BinaryType, false)
  });
  private static final Logger LOG = LoggerFactory.getLogger(GenerateJob.class);

  private final SparkSession spark;
  private final Settings settings;
  private final Storage storage;
  private final ModelStore models;

  public GenerateJob(JobContext context) {
    this.spark = context.spark();
    this.settings = context.settings();
    this.storage = context.storage();
    this.models = context.models();
  }

  /**
   * @param seconds the job's wall time (Spark's start-up excluded)
   * @param embeddingSeconds the part of it spent computing and writing the embeddings table
   */
  public record Result(
      String folder,
      String modelVersion,
      long embeddings,
      double seconds,
      double embeddingSeconds) {}

  public Result run(boolean overwrite) {
    long t0 = System.nanoTime();
    Path target = new Path(settings.paths().generated());
    storage.checkWritable(target, overwrite, "generated outputs");
    MnistDataset dataset = MnistDataset.open(storage, settings.paths().dataset());
    Trained model = load(new Path(settings.paths().model()), dataset);
    Dataset<Row> train = dataset.read(spark, MnistDataset.TRAIN);
    Dataset<Row> test = dataset.read(spark, MnistDataset.TEST);
    JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    Broadcast<VaeWeights> broadcast = sc.broadcast(model.weights());
    double[] embeddingSeconds = new double[1];
    try {
      sc.setJobGroup("generate", "generate: samples, reconstructions, embeddings, plots", false);
      storage.publish(target, overwrite, staging -> {
        embeddingSeconds[0] =
            writeOutputs(model, train, test, dataset.manifest().testExamples(), broadcast, staging);
      });
    } finally {
      broadcast.destroy();
      sc.clearJobGroup();
    }
    LOG.info("Generated outputs of model {} published at {}", model.version(), target);
    long examples = dataset.manifest().trainExamples() + dataset.manifest().testExamples();
    return new Result(
        target.toString(),
        model.version(),
        examples,
        (System.nanoTime() - t0) / 1e9,
        embeddingSeconds[0]);
  }

  /** A published model, checked against the settings, and the size of the dataset's images it takes. */
  private record Trained(
      VaeWeights weights, String version, List<EpochMetrics> history, Images.Shape shape) {}

  private Trained load(Path modelFolder, MnistDataset dataset) {
    VaeWeights weights = models.loadWeights(modelFolder, dataset);
    checkLatentSize(weights, modelFolder);
    return new Trained(
        weights,
        models.loadMetadata(modelFolder).modelVersion(),
        models.loadMetrics(modelFolder),
        dataset.manifest().shape());
  }

  /** Writes every output into {@code staging}; returns the seconds spent on the embeddings table. */
  private double writeOutputs(
      Trained model,
      Dataset<Row> train,
      Dataset<Row> test,
      long testCount,
      Broadcast<VaeWeights> broadcast,
      Path staging) {
    VaeWeights weights = model.weights();
    writeSamples(weights, model.version(), model.shape(), staging);
    writeReconstructions(weights, test, model.shape(), staging);
    double embeddingSeconds =
        writeEmbeddings(train.unionByName(test), broadcast, model.version(), staging);
    storage.writeBytes(
        new Path(staging, LOSS_PNG), Plots.lossCurves(model.history(), model.version()));
    writeViews(model, testExamples(new Path(staging, EMBEDDINGS), test, testCount), staging);
    return embeddingSeconds;
  }

  private void checkLatentSize(VaeWeights weights, Path modelFolder) {
    int configured = settings.model().latentSize();
    if (weights.latentSize() != configured) {
      throw new InputFileException(modelFolder + ": model latent size is " + weights.latentSize()
          + ", but vae.model.latent-size = " + configured + ": use the matching config or retrain");
    }
  }

  private void writeSamples(VaeWeights weights, String version, Images.Shape shape, Path staging) {
    int n = settings.generate().samples();
    INDArray z = Nd4j.randn(settings.generate().seed(), new long[] {n, weights.latentSize()})
        .castTo(DataType.FLOAT);
    INDArray digits = weights.decode(z);
    List<Row> rows = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      rows.add(RowFactory.create(
          i,
          version,
          Embeddings.boxed(z.getRow(i).toFloatVector()),
          Images.toBytes(digits.getRow(i).toFloatVector())));
    }
    spark
        .createDataFrame(rows, SAMPLE_SCHEMA)
        .coalesce(1)
        .write()
        .mode(SaveMode.ErrorIfExists)
        .parquet(new Path(staging, SAMPLES).toString());
    storage.writeBytes(new Path(staging, SAMPLES_PNG), ImageGrid.png(digits, shape, columns(n), 2));
  }

  private void writeReconstructions(
      VaeWeights weights, Dataset<Row> test, Images.Shape shape, Path staging) {
    List<Row> rows = test.orderBy(col("id"))
        .select("pixels")
        .limit(settings.generate().reconstructions())
        .collectAsList();
    INDArray x =
        Minibatches.features(rows.stream().map(row -> (byte[]) row.get(0)).toList());
    INDArray reconstructed = weights.decode(weights.encode(x).mean());
    storage.writeBytes(
        new Path(staging, RECONSTRUCTIONS_PNG),
        ImageGrid.pairs(
            x,
            reconstructed,
            shape,
            4,
            "The first " + rows.size()
                + " test images by id, in pairs: each original (odd columns) beside "
                + "its reconstruction decoded at its z_mean (even columns)."));
  }

  /** Computes and writes the embeddings table; returns the seconds it took. */
  private double writeEmbeddings(
      Dataset<Row> examples, Broadcast<VaeWeights> weights, String version, Path staging) {
    long t0 = System.nanoTime();
    Settings.EvaluateSettings evaluate = settings.evaluate();
    Embeddings.Samples samples = new Embeddings.Samples(
        evaluate.embeddingTestSamples(), evaluate.embeddingTrainSamples(), evaluate.seed());
    Dataset<Row> embeddings = Embeddings.of(examples, weights, version, samples);
    embeddings
        .write()
        .mode(SaveMode.ErrorIfExists)
        .option("parquet.enable.dictionary#z_mean.list.element", "false")
        .option("parquet.enable.dictionary#z_log_var.list.element", "false")
        .parquet(new Path(staging, EMBEDDINGS).toString());
    storage.writeString(
        new Path(new Path(staging, EMBEDDINGS), EMBEDDING_COLUMNS),
        Json.pretty(Map.of(
            "log_px",
                Map.of(
                    "meaning",
                    "importance-sampled log p(x) in nats (Burda et al., 2016)",
                    "importance_samples",
                    Map.of(MnistDataset.TEST, samples.test(), MnistDataset.TRAIN, samples.train())),
            "reconstruction_log_prob",
                Map.of(
                    "meaning",
                    "log of the mean over the same samples z ~ q(z|x) of p(x|z), in nats"))));
    return (System.nanoTime() - t0) / 1e9;
  }

  /** Test examples the pictures of the latent space use: at most this many, whatever the size of the split. */
  static final int VIEW_EXAMPLES = 10_000;

  /**
   * The test examples with their embeddings just written, read once for every picture of the latent space: all of
   * them up to {@value #VIEW_EXAMPLES}, a seeded sample of about that many beyond, and always the two least and the
   * two most likely of each label (the anomaly picture), so the driver holds a bounded number however large the
   * split.
   */
  private List<LatentViews.Example> testExamples(
      Path embeddings, Dataset<Row> test, long testExamples) {
    Dataset<Row> embedded = spark
        .read()
        .parquet(embeddings.toString())
        .where(col("split").equalTo(MnistDataset.TEST))
        .select("id", "label", "z_mean", "log_px");
    Dataset<Row> sample = testExamples <= VIEW_EXAMPLES
        ? embedded
        : embedded.sample(
            false, VIEW_EXAMPLES / (double) testExamples, settings.generate().seed());
    Dataset<Row> extremes = embedded
        .withColumn("least", row_number().over(Window.partitionBy("label").orderBy(col("log_px"))))
        .withColumn(
            "most",
            row_number().over(Window.partitionBy("label").orderBy(col("log_px").desc())))
        .where(col("least").leq(2).or(col("most").leq(2)))
        .drop("least", "most");
    List<Row> rows = sample
        .union(extremes)
        .dropDuplicates("id")
        .join(test.select("id", "pixels"), "id")
        .collectAsList();
    List<LatentViews.Example> examples = new ArrayList<>(rows.size());
    for (Row row : rows) {
      float[] zMean = Embeddings.unboxed(row.getList(2));
      byte[] bytes = (byte[]) row.get(4);
      float[] pixels = new float[bytes.length];
      Images.toUnitFloats(bytes, pixels, 0);
      examples.add(
          new LatentViews.Example(row.getLong(0), row.getInt(1), pixels, zMean, row.getDouble(3)));
    }
    return examples;
  }

  /** The scatter of the test embeddings, the latent manifold, interpolations and anomalies. */
  private void writeViews(Trained model, List<LatentViews.Example> test, Path staging) {
    VaeWeights weights = model.weights();
    storage.writeBytes(new Path(staging, SCATTER_PNG), LatentViews.scatter(test, model.version()));
    int umapPoints = settings.generate().umapPoints();
    if (umapPoints > 0 && test.size() >= 20) {
      storage.writeBytes(
          new Path(staging, UMAP_PNG),
          LatentViews.umap(
              test, model.version(), umapPoints, settings.generate().seed()));
    }
    Images.Shape shape = model.shape();
    storage.writeBytes(new Path(staging, MANIFOLD_PNG), LatentViews.manifold(weights, test, shape));
    storage.writeBytes(
        new Path(staging, INTERPOLATIONS_PNG), LatentViews.interpolations(weights, test, shape));
    storage.writeBytes(
        new Path(staging, ANOMALIES_PNG), LatentViews.anomalies(weights, test, shape));
  }

  private static int columns(int n) {
    return (int) Math.ceil(Math.sqrt(n));
  }
}
