package org.vaespark.sql;

import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.catalyst.FunctionIdentifier;
import org.apache.spark.sql.catalyst.FunctionIdentifier$;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.ExpressionInfo;
import org.apache.spark.sql.catalyst.expressions.Literal;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.util.SerializableConfiguration;
import org.vaespark.dataset.Images;
import org.vaespark.error.InputFileException;
import org.vaespark.error.SettingsException;
import org.vaespark.inference.Inference;
import org.vaespark.io.Storage;
import org.vaespark.model.ModelMetadata;
import org.vaespark.model.ModelStore;
import org.vaespark.retrain.VersionStore;
import org.vaespark.source.ImageColumn;
import scala.collection.JavaConverters;
import scala.collection.Seq;
import scala.runtime.AbstractFunction1;

/**
 * The SQL functions, bound to one model: {@code vae_embed(image)} (z_mean, {@code array<float>}),
 * {@code vae_log_px(image)} (the importance-sampled log p(x), with the k and noise seed the model's anomaly
 * threshold was computed with, the seed offset by a hash of the image so that an image gets the same value in
 * any query), {@code vae_is_anomaly(image)} ({@code log_px} below the model's threshold) and
 * {@code vae_model_version()}. The image is anything {@link ImageColumn} reads: binary (raw pixels or an encoded
 * image), an array of numbers, an ML Vector, Spark's image struct.
 *
 * <p>The model is {@code spark.vae.model} (a published model folder) or, when that is not set, the version the
 * {@code CURRENT} pointer names under {@code spark.vae.retrain-root}. Both are read when Spark analyses a query
 * that calls a function, so the next query after a promotion (or after {@code SET spark.vae.model=...}) uses the
 * new version; a DataFrame analysed before keeps the version it was analysed with. The functions run on the
 * executors, where the model is loaded once per JVM ({@link ModelCache}), never per row.
 */
public final class VaeFunctions {
  /** A published model folder. */
  public static final String MODEL_CONF = "spark.vae.model";
  /** A retrain output root: the model is the version its {@code CURRENT} pointer names. */
  public static final String ROOT_CONF = "spark.vae.retrain-root";

  static final List<String> NAMES =
      List.of("vae_embed", "vae_log_px", "vae_is_anomaly", "vae_model_version");

  private VaeFunctions() {}

  /** Registers the functions in an existing session (what {@link VaeSqlExtensions} does at session start). */
  public static void register(SparkSession spark) {
    for (String name : NAMES) {
      spark
          .sessionState()
          .functionRegistry()
          .registerFunction(identifier(name), info(name), new Builder(name));
    }
  }

  static FunctionIdentifier identifier(String name) {
    return FunctionIdentifier$.MODULE$.apply(name);
  }

  static ExpressionInfo info(String name) {
    return new ExpressionInfo(VaeFunctions.class.getName(), null, name);
  }

  /** Builds a function's expression when Spark analyses a call: resolves the model, then wraps a UDF. */
  static final class Builder extends AbstractFunction1<Seq<Expression>, Expression>
      implements java.io.Serializable {
    private static final long serialVersionUID = 1L;
    private final String name;

    Builder(String name) {
      this.name = name;
    }

    @Override
    public Expression apply(Seq<Expression> arguments) {
      List<Expression> args = JavaConverters.seqAsJavaList(arguments);
      SparkSession spark = SparkSession.active();
      Binding binding = Binding.resolve(spark);
      if (name.equals("vae_model_version")) {
        requireArguments(args, 0, "");
        return Literal.create(binding.version, DataTypes.StringType);
      }
      requireArguments(args, 1, "image");
      UserDefinedFunction udf = switch (name) {
        case "vae_embed" ->
          functions.udf(new Embed(binding), DataTypes.createArrayType(DataTypes.FloatType, false));
        case "vae_log_px" -> functions.udf(new LogPx(binding), DataTypes.DoubleType);
        case "vae_is_anomaly" -> functions.udf(new IsAnomaly(binding), DataTypes.BooleanType);
        default -> throw new IllegalArgumentException("unknown function " + name);
      };
      return udf.withName(name).apply(new Column(args.get(0))).expr();
    }

    private void requireArguments(List<Expression> args, int n, String what) {
      if (args.size() != n) {
        throw new SettingsException(name + " takes "
            + (n == 0 ? "no arguments" : "one argument, the " + what) + ", got " + args.size());
      }
    }
  }

  /** The model a query's calls are bound to, with what the executors need to load and use it. */
  static final class Binding implements java.io.Serializable {
    private static final long serialVersionUID = 1L;
    final String folder;
    final String version;
    final Images.Shape shape;
    final double threshold;
    final int k;
    final long seed;
    final SerializableConfiguration conf;

    private Binding(String folder, ModelMetadata metadata, SerializableConfiguration conf) {
      this.folder = folder;
      this.version = metadata.modelVersion();
      this.shape = shape(metadata, folder);
      ModelMetadata.Anomaly anomaly = metadata.anomaly();
      this.threshold = anomaly == null ? Double.NaN : anomaly.logPxThreshold();
      this.k = anomaly == null ? 20 : anomaly.importanceSamples();
      this.seed = anomaly == null ? 13 : anomaly.seed();
      this.conf = conf;
    }

    /** The model the session's settings name: {@code spark.vae.model}, else {@code CURRENT} under the root. */
    static Binding resolve(SparkSession spark) {
      Storage storage = new Storage(spark.sparkContext().hadoopConfiguration());
      String folder = spark.conf().get(MODEL_CONF, "").trim();
      if (folder.isEmpty()) {
        String root = spark.conf().get(ROOT_CONF, "").trim();
        if (root.isEmpty()) {
          throw new SettingsException("the vae_ SQL functions need a model: set " + MODEL_CONF
              + " to a published model folder, or " + ROOT_CONF
              + " to a retrain output root (the version CURRENT names is used)");
        }
        Optional<VersionStore.Pointer> current =
            new VersionStore(storage, new Path(root), Clock.systemUTC()).current();
        folder = current
            .orElseThrow(() -> new InputFileException(new Path(root, VersionStore.POINTER)
                + " does not exist: no version has been promoted under " + root
                + " yet; run retrain, or set " + MODEL_CONF))
            .model();
      }
      Path path = new Path(folder);
      storage.requirePublished(path, "model", "train");
      ModelMetadata metadata = new ModelStore(storage).loadMetadata(path);
      return new Binding(
          folder,
          metadata,
          new SerializableConfiguration(spark.sparkContext().hadoopConfiguration()));
    }

    private static Images.Shape shape(ModelMetadata metadata, String folder) {
      if (metadata.data() != null && metadata.data().rows() > 0) {
        return new Images.Shape(metadata.data().rows(), metadata.data().cols());
      }
      String size = metadata.config() == null
          ? ""
          : metadata.config().path("prepare").path("image-size").asText("");
      String[] sides = size.trim().split("\\s*[xX]\\s*");
      if (sides.length != 2) {
        throw new InputFileException(folder + "/" + ModelStore.METADATA_FILE
            + " records no image size: retrain the model with this version");
      }
      return new Images.Shape(Integer.parseInt(sides[0]), Integer.parseInt(sides[1]));
    }

    /** Scores one image with the model of this binding, loaded once per JVM. */
    Inference.Scored score(Object image, String function, int samples) {
      byte[] pixels = ImageColumn.pixels(
          image instanceof scala.collection.Seq<?> seq
              ? new ArrayList<>(JavaConverters.seqAsJavaList(seq))
              : image,
          shape,
          function + "(image) with model " + version,
          "the image");
      ModelCache.Loaded loaded = ModelCache.get(folder, version, conf.value());
      return loaded.inference().score(List.of(pixels), samples, seed + Arrays.hashCode(pixels));
    }
  }

  /** {@code vae_embed(image)}: z_mean. */
  static final class Embed implements UDF1<Object, Float[]> {
    private static final long serialVersionUID = 1L;
    private final Binding binding;

    Embed(Binding binding) {
      this.binding = binding;
    }

    @Override
    public Float[] call(Object image) {
      return image == null
          ? null
          : Inference.boxed(binding.score(image, "vae_embed", 0).zMean(0));
    }
  }

  /** {@code vae_log_px(image)}: the importance-sampled log p(x). */
  static final class LogPx implements UDF1<Object, Double> {
    private static final long serialVersionUID = 1L;
    private final Binding binding;

    LogPx(Binding binding) {
      this.binding = binding;
    }

    @Override
    public Double call(Object image) {
      return image == null
          ? null
          : binding.score(image, "vae_log_px", binding.k).logPx(0);
    }
  }

  /** {@code vae_is_anomaly(image)}: log p(x) below the model's threshold. */
  static final class IsAnomaly implements UDF1<Object, Boolean> {
    private static final long serialVersionUID = 1L;
    private final Binding binding;

    IsAnomaly(Binding binding) {
      this.binding = binding;
    }

    @Override
    public Boolean call(Object image) {
      return image == null
          ? null
          : binding.score(image, "vae_is_anomaly", binding.k).logPx(0) < binding.threshold;
    }
  }
}
