package org.vaespark.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigValueFactory;
import java.io.Serializable;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Every setting of the pipeline, typed and validated once at start-up by {@link SettingsLoader}.
 *
 * <p>The resolved {@link Config} is kept so that it can be written verbatim into model metadata.
 */
public record Settings(
    SparkSettings spark,
    Paths paths,
    PrepareSettings prepare,
    ModelSettings model,
    TrainingSettings training,
    GenerateSettings generate,
    RetrainSettings retrain,
    EvaluateSettings evaluate,
    NativeSettings nativeBackend,
    StorageSettings storage,
    ScoreSettings score,
    NeighborSettings neighbors,
    Config resolved) {

  /** How the Spark session is created when this tool creates it. */
  public record SparkSettings(String master, String appName, Map<String, String> conf)
      implements Serializable {}

  /** Input folder and the published locations of each job's output. */
  public record Paths(
      String input,
      String output,
      String dataset,
      String model,
      String generated,
      String checkpoints,
      String evaluation,
      String scored,
      String neighbors)
      implements Serializable {}

  /**
   * How {@code prepare} reads its input and shapes the dataset: Parquet files per split ({@code shards}, for IDX
   * input also the byte ranges read in parallel), what the input is ({@code inputKind}: auto, idx, image-folder,
   * parquet), the dataset's image size ({@code imageRows} x {@code imageCols}, 28 x 28 unless set), the share of
   * examples held out when the input carries no split ({@code testFraction}), where an image folder's labels come
   * from ({@code folderLabels}: auto, subfolders, none) and the columns of a Parquet table.
   */
  public record PrepareSettings(
      int shards,
      String inputKind,
      int imageRows,
      int imageCols,
      double testFraction,
      String folderLabels,
      ParquetColumns parquet)
      implements Serializable {
    public static final String AUTO = "auto";
    public static final String IDX = "idx";
    public static final String IMAGE_FOLDER = "image-folder";
    public static final String PARQUET = "parquet";
    public static final String SUBFOLDERS = "subfolders";
    public static final String NONE = "none";
  }

  /**
   * How the tool treats each file system: {@code atomicSchemes} are the URI schemes whose folder rename and
   * create-if-absent are atomic (HDFS, local disks); anything else is published as an object store (README,
   * "Storage").
   */
  public record StorageSettings(List<String> atomicSchemes) implements Serializable {}

  /** The columns of a Parquet input: the image, the label ("" for none) and the split ("" for none). */
  public record ParquetColumns(String image, String label, String split) implements Serializable {}

  /** Architecture of the VAE; its input size is the dataset's image size (from the dataset's manifest). */
  public record ModelSettings(
      List<Integer> encoderLayerSizes,
      List<Integer> decoderLayerSizes,
      int latentSize,
      String activation)
      implements Serializable {}

  public record TrainingSettings(
      int epochs,
      int batchSizePerWorker,
      int averagingFrequency,
      int workers,
      double learningRate,
      long seed,
      String step,
      int nativeThreads,
      double outerMomentum,
      int evalBatchSize,
      int averagingPort,
      CheckpointSettings checkpoint)
      implements Serializable {
    /** {@code vae.training.step}: this tool's fused training step. */
    public static final String FUSED = "fused";
    /** {@code vae.training.step}: DL4J's own VAE layer (slower; kept to compare). */
    public static final String DL4J = "dl4j";
  }

  /**
   * Training checkpoints: written every {@code interval} epochs (0 turns them off), the newest {@code keep}
   * kept; {@code resume} makes {@code train} continue from the newest complete one.
   */
  public record CheckpointSettings(int interval, int keep, boolean resume)
      implements Serializable {}

  /** {@code umapPoints}: test embeddings (a sample, at most this many) laid out by UMAP beside the PCA view. */
  public record GenerateSettings(int samples, int reconstructions, long seed, int umapPoints)
      implements Serializable {}

  /**
   * Scoring new data ({@code score}, {@code VaeModel.transform}, the SQL functions): the model ({@code ""}:
   * {@code vae.paths.model}; {@code "current"}: the version {@code CURRENT} names under {@code vae.paths.output};
   * else a model folder), what is read ({@code input}: {@code vae.paths.input} as {@code prepare} reads it;
   * {@code dataset}: both splits of the published dataset), the importance samples of {@code log_px}, and the
   * quantile of the train split's {@code log_px} below which an image is an anomaly (the threshold is computed
   * when a model is trained, and recorded in its {@code metadata.json}).
   */
  public record ScoreSettings(
      String model, String source, int importanceSamples, double anomalyQuantile)
      implements Serializable {
    public static final String CURRENT = "current";
    public static final String INPUT = "input";
    public static final String DATASET = "dataset";
  }

  /**
   * Nearest neighbours in {@code z_mean} space: {@code k} per query; {@code method} {@code auto} (exact while
   * queries x reference rows is at most {@code exactMaxPairs}, else LSH), {@code exact} or {@code lsh}; Spark ML's
   * {@code BucketedRandomProjectionLSH} with {@code hashTables} tables, {@code bucketLength} (0: chosen from the
   * data) and {@code seed}.
   */
  public record NeighborSettings(
      int k, String method, long exactMaxPairs, int hashTables, double bucketLength, long seed)
      implements Serializable {
    public static final String AUTO = "auto";
    public static final String EXACT = "exact";
    public static final String LSH = "lsh";
  }

  /**
   * Scheduled retraining: a new version is promoted only if its held-out negative ELBO is at most
   * {@code toleranceNats} above the current version's; a lock older than {@code lockExpiry} is deemed left by a
   * run that died, and is broken. {@code schedulerPreventsOverlap} allows an output on an object store, where the
   * lock can only be advisory.
   */
  public record RetrainSettings(
      double toleranceNats, Duration lockExpiry, boolean schedulerPreventsOverlap)
      implements Serializable {}

  /**
   * The importance-sampled log p(x): {@code importanceSamples} per held-out example in {@code evaluate};
   * {@code embeddingTestSamples} and {@code embeddingTrainSamples} per example for the {@code log_px} column of
   * the embeddings (cheaper, the train split most).
   */
  public record EvaluateSettings(
      int importanceSamples,
      int embeddingTestSamples,
      int embeddingTrainSamples,
      int batchSize,
      long seed,
      int knnK)
      implements Serializable {}

  /**
   * ND4J's native libraries: {@code openblasCore} is how OpenBLAS's GEMM kernel is chosen in every JVM
   * ({@code auto}, {@code inherit} or a kernel name; see {@code runtime.OpenBlasCores}).
   */
  public record NativeSettings(String openblasCore) implements Serializable {}

  /**
   * These settings with the model, checkpoint and generated-output locations replaced (the recorded config
   * too): {@code retrain} trains and generates each model version in its own folder.
   */
  public Settings withVersionPaths(
      String model, String checkpoints, String generated, String evaluation) {
    Paths moved = new Paths(
        paths.input(),
        paths.output(),
        paths.dataset(),
        model,
        generated,
        checkpoints,
        evaluation,
        paths.scored(),
        paths.neighbors());
    Config config = resolved
        .withValue("vae.paths.model", ConfigValueFactory.fromAnyRef(model))
        .withValue("vae.paths.checkpoints", ConfigValueFactory.fromAnyRef(checkpoints))
        .withValue("vae.paths.generated", ConfigValueFactory.fromAnyRef(generated))
        .withValue("vae.paths.evaluation", ConfigValueFactory.fromAnyRef(evaluation));
    return new Settings(
        spark,
        moved,
        prepare,
        this.model,
        training,
        generate,
        retrain,
        evaluate,
        nativeBackend,
        storage,
        score,
        neighbors,
        config);
  }

  /** Spark settings whose values are credentials: never logged or written into metadata. */
  static final Pattern SECRET_KEY =
      Pattern.compile("(?i).*(secret|password|token|credential|access\\.key|session\\.key).*");

  /**
   * The resolved "vae" section as JSON, with comments and origins stripped and credential values under
   * {@code vae.spark.conf} replaced by "&lt;redacted&gt;".
   */
  public String toJson() {
    Config vae = resolved.getConfig("vae");
    for (String key : spark.conf().keySet()) {
      if (SECRET_KEY.matcher(key).matches()) {
        vae = vae.withValue(
            "spark.conf.\"" + key + "\"", ConfigValueFactory.fromAnyRef("<redacted>"));
      }
    }
    return vae.root().render(ConfigRenderOptions.concise().setFormatted(true));
  }
}
