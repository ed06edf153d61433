package org.vaespark.config;

import static org.vaespark.config.ConfigValues.activation;
import static org.vaespark.config.ConfigValues.doubleIn;
import static org.vaespark.config.ConfigValues.fraction;
import static org.vaespark.config.ConfigValues.imageSize;
import static org.vaespark.config.ConfigValues.intIn;
import static org.vaespark.config.ConfigValues.layerSizes;
import static org.vaespark.config.ConfigValues.nonBlank;
import static org.vaespark.config.ConfigValues.nonNegative;
import static org.vaespark.config.ConfigValues.oneOf;
import static org.vaespark.config.ConfigValues.openFraction;
import static org.vaespark.config.ConfigValues.positiveDuration;
import static org.vaespark.config.ConfigValues.positiveSamples;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigOrigin;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigValue;
import java.io.File;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.vaespark.error.SettingsException;
import org.vaespark.runtime.OpenBlasCores;

/**
 * Builds {@link Settings} from Typesafe Config, in this order of precedence (highest first):
 *
 * <ol>
 *   <li>command-line overrides ({@code --set key=value} / {@code -Dkey=value} given to the tool);
 *   <li>JVM system properties;
 *   <li>environment variables {@code CONFIG_FORCE_vae_...};
 *   <li>the file given with {@code --config};
 *   <li>{@code reference.conf}.
 * </ol>
 *
 * Unknown keys under {@code vae}, wrong types and out-of-range values fail with the key's path.
 */
public final class SettingsLoader {
  private SettingsLoader() {}

  public static Settings load(File configFile, Map<String, String> overrides) {
    Config fileConfig = ConfigFactory.empty();
    if (configFile != null) {
      if (!configFile.isFile()) {
        throw new SettingsException("config file " + configFile
            + " does not exist or is not a file: check the --config path");
      }
      fileConfig =
          ConfigFactory.parseFile(configFile, ConfigParseOptions.defaults().setAllowMissing(false));
    }
    Config config = overrides(overrides == null ? Map.of() : overrides)
        .withFallback(ConfigFactory.systemProperties())
        .withFallback(ConfigFactory.systemEnvironmentOverrides())
        .withFallback(fileConfig)
        .withFallback(ConfigFactory.defaultReferenceUnresolved());
    return fromConfig(config);
  }

  /**
   * Command-line overrides: plain values are taken as strings (so paths such as {@code hdfs:///x} need no
   * quoting; Typesafe converts "5" to a number where a number is expected), values that start with '[' or '{'
   * are parsed as HOCON lists or objects, e.g. {@code vae.model.encoder-layer-sizes=[512,256]}.
   */
  static Config overrides(Map<String, String> overrides) {
    Config config = ConfigFactory.empty("command-line overrides");
    for (Map.Entry<String, String> entry : overrides.entrySet()) {
      String value = entry.getValue().trim();
      Config one;
      if (value.startsWith("[") || value.startsWith("{")) {
        try {
          one = ConfigFactory.parseString(entry.getKey() + " = " + value);
        } catch (ConfigException e) {
          throw new SettingsException(
              entry.getKey() + " = " + value + " is not a valid list or object: " + e.getMessage(),
              e);
        }
      } else {
        one = ConfigFactory.parseMap(
            Map.of(entry.getKey(), entry.getValue()), "command-line overrides");
      }
      config = one.withFallback(config);
    }
    return config;
  }

  /** Validates an already-layered config (tests use this with {@code ConfigFactory.parseString}). */
  public static Settings fromConfig(Config unresolved) {
    Config config;
    try {
      config = unresolved.resolve();
      rejectUnknownKeys(config);
      rejectCredentialsFromFiles(config);
      config.checkValid(ConfigFactory.defaultReference().resolve(), "vae");
      return build(config);
    } catch (ConfigException e) {
      throw new SettingsException("invalid configuration: " + e.getMessage(), e);
    }
  }

  private static void rejectUnknownKeys(Config config) {
    Config reference = ConfigFactory.defaultReference().resolve();
    Set<String> unknown = new TreeSet<>();
    for (Map.Entry<String, ConfigValue> entry : config.getConfig("vae").entrySet()) {
      String path = "vae." + entry.getKey();
      if (!path.startsWith("vae.spark.conf.") && !reference.hasPathOrNull(path)) {
        unknown.add(path);
      }
    }
    if (!unknown.isEmpty()) {
      throw new SettingsException("unknown configuration key(s) "
          + unknown
          + ": check the spelling against reference.conf (README, 'Configuration')");
    }
  }

  /**
   * Credentials (S3 keys, passwords, tokens) must not live in config files, which get committed and copied: they
   * come from a Hadoop credential provider or the environment. Values given on the command line or through
   * environment variables are accepted, and redacted wherever settings are recorded.
   */
  private static void rejectCredentialsFromFiles(Config config) {
    for (Map.Entry<String, ConfigValue> e : config.getConfig("vae.spark.conf").entrySet()) {
      String key = e.getKey().replace("\"", "");
      ConfigOrigin origin = e.getValue().origin();
      String file = origin.filename() != null
          ? origin.filename()
          : origin.url() != null ? origin.url().toString() : null;
      if (Settings.SECRET_KEY.matcher(key).matches() && file != null) {
        throw new SettingsException("vae.spark.conf.\"" + key
            + "\" is a credential and is set in the config file " + file + " (line "
            + origin.lineNumber()
            + "): remove it; supply credentials through a Hadoop credential provider "
            + "(spark.hadoop.hadoop.security.credential.provider.path), the environment (e.g. AWS_ACCESS_KEY_ID "
            + "and AWS_SECRET_ACCESS_KEY for S3A), or instance roles (README, 'Credentials')");
      }
    }
  }

  private static Settings build(Config c) {
    return new Settings(
        spark(c),
        paths(c),
        prepare(c),
        model(c),
        training(c),
        generate(c),
        retrain(c),
        evaluate(c),
        new Settings.NativeSettings(OpenBlasCores.validPolicy(
            "vae.native.openblas-core", c.getString("vae.native.openblas-core"))),
        storage(c),
        score(c),
        neighbors(c),
        c);
  }

  private static Settings.StorageSettings storage(Config c) {
    List<String> schemes = new ArrayList<>();
    for (String scheme : c.getStringList("vae.storage.atomic-schemes")) {
      String trimmed = scheme.trim().toLowerCase(Locale.ROOT);
      if (!trimmed.matches("[a-z][a-z0-9+.-]*")) {
        throw new SettingsException("vae.storage.atomic-schemes: \"" + scheme
            + "\" is not a URI scheme: give names such as hdfs or file, without ':' or '//'");
      }
      schemes.add(trimmed);
    }
    return new Settings.StorageSettings(List.copyOf(schemes));
  }

  private static Settings.SparkSettings spark(Config c) {
    return new Settings.SparkSettings(
        c.getString("vae.spark.master").trim(),
        nonBlank(c, "vae.spark.app-name"),
        sparkConf(c.getConfig("vae.spark.conf")));
  }

  private static Settings.Paths paths(Config c) {
    return new Settings.Paths(
        nonBlank(c, "vae.paths.input"),
        nonBlank(c, "vae.paths.output"),
        nonBlank(c, "vae.paths.dataset"),
        nonBlank(c, "vae.paths.model"),
        nonBlank(c, "vae.paths.generated"),
        nonBlank(c, "vae.paths.checkpoints"),
        nonBlank(c, "vae.paths.evaluation"),
        nonBlank(c, "vae.paths.scored"),
        nonBlank(c, "vae.paths.neighbors"));
  }

  private static Settings.PrepareSettings prepare(Config c) {
    int[] size = imageSize(c, "vae.prepare.image-size");
    return new Settings.PrepareSettings(
        intIn(c, "vae.prepare.shards", 1, 10_000),
        oneOf(
            c,
            "vae.prepare.input-kind",
            Set.of(
                Settings.PrepareSettings.AUTO,
                Settings.PrepareSettings.IDX,
                Settings.PrepareSettings.IMAGE_FOLDER,
                Settings.PrepareSettings.PARQUET)),
        size[0],
        size[1],
        openFraction(c, "vae.prepare.test-fraction"),
        oneOf(
            c,
            "vae.prepare.image-folder.labels",
            Set.of(
                Settings.PrepareSettings.AUTO,
                Settings.PrepareSettings.SUBFOLDERS,
                Settings.PrepareSettings.NONE)),
        new Settings.ParquetColumns(
            nonBlank(c, "vae.prepare.parquet.image-column"),
            c.getString("vae.prepare.parquet.label-column").trim(),
            c.getString("vae.prepare.parquet.split-column").trim()));
  }

  private static Settings.ModelSettings model(Config c) {
    return new Settings.ModelSettings(
        layerSizes(c, "vae.model.encoder-layer-sizes"),
        layerSizes(c, "vae.model.decoder-layer-sizes"),
        intIn(c, "vae.model.latent-size", 1, 4096),
        activation(c, "vae.model.activation"));
  }

  private static Settings.TrainingSettings training(Config c) {
    return new Settings.TrainingSettings(
        intIn(c, "vae.training.epochs", 1, 100_000),
        intIn(c, "vae.training.batch-size-per-worker", 1, 1_000_000),
        intIn(c, "vae.training.averaging-frequency", 1, 1_000_000),
        intIn(c, "vae.training.workers", 0, 100_000),
        doubleIn(c, "vae.training.learning-rate", 0.0, 10.0),
        c.getLong("vae.training.seed"),
        oneOf(
            c,
            "vae.training.step",
            Set.of(Settings.TrainingSettings.FUSED, Settings.TrainingSettings.DL4J)),
        intIn(c, "vae.training.native-threads", 0, 1024),
        fraction(c, "vae.training.outer-momentum"),
        intIn(c, "vae.training.eval-batch-size", 1, 1_000_000),
        intIn(c, "vae.training.averaging-port", 0, 65_535),
        new Settings.CheckpointSettings(
            intIn(c, "vae.training.checkpoint.interval", 0, 100_000),
            intIn(c, "vae.training.checkpoint.keep", 1, 1000),
            c.getBoolean("vae.training.checkpoint.resume")));
  }

  private static Settings.GenerateSettings generate(Config c) {
    return new Settings.GenerateSettings(
        intIn(c, "vae.generate.samples", 1, 100_000),
        intIn(c, "vae.generate.reconstructions", 1, 10_000),
        c.getLong("vae.generate.seed"),
        intIn(c, "vae.generate.umap-points", 0, 100_000));
  }

  private static Settings.RetrainSettings retrain(Config c) {
    return new Settings.RetrainSettings(
        nonNegative(c, "vae.retrain.tolerance-nats"),
        positiveDuration(c, "vae.retrain.lock-expiry"),
        c.getBoolean("vae.retrain.scheduler-prevents-overlap"));
  }

  private static Settings.EvaluateSettings evaluate(Config c) {
    return new Settings.EvaluateSettings(
        positiveSamples(c, "vae.evaluate.importance-samples"),
        positiveSamples(c, "vae.evaluate.embedding-test-samples"),
        positiveSamples(c, "vae.evaluate.embedding-train-samples"),
        intIn(c, "vae.evaluate.batch-size", 1, 100_000),
        c.getLong("vae.evaluate.seed"),
        intIn(c, "vae.evaluate.knn-k", 1, 1000));
  }

  private static Settings.ScoreSettings score(Config c) {
    return new Settings.ScoreSettings(
        c.getString("vae.score.model").trim(),
        oneOf(
            c,
            "vae.score.source",
            Set.of(Settings.ScoreSettings.INPUT, Settings.ScoreSettings.DATASET)),
        positiveSamples(c, "vae.score.importance-samples"),
        openFraction(c, "vae.score.anomaly-quantile"));
  }

  private static Settings.NeighborSettings neighbors(Config c) {
    double bucket = c.getDouble("vae.neighbors.lsh.bucket-length");
    if (!(bucket >= 0) || Double.isInfinite(bucket)) {
      throw new SettingsException("vae.neighbors.lsh.bucket-length = " + bucket
          + " is out of range: expected a finite number >= 0 (0: chosen from the data)");
    }
    long maxPairs = c.getLong("vae.neighbors.exact-max-pairs");
    if (maxPairs < 0) {
      throw new SettingsException("vae.neighbors.exact-max-pairs = " + maxPairs
          + " is out of range: expected a number >= 0");
    }
    return new Settings.NeighborSettings(
        intIn(c, "vae.neighbors.k", 1, 10_000),
        oneOf(
            c,
            "vae.neighbors.method",
            Set.of(
                Settings.NeighborSettings.AUTO,
                Settings.NeighborSettings.EXACT,
                Settings.NeighborSettings.LSH)),
        maxPairs,
        intIn(c, "vae.neighbors.lsh.hash-tables", 1, 1000),
        bucket,
        c.getLong("vae.neighbors.lsh.seed"));
  }

  private static Map<String, String> sparkConf(Config conf) {
    Map<String, String> out = new LinkedHashMap<>();
    for (Map.Entry<String, ConfigValue> e : conf.entrySet()) {
      // Keys such as "spark.serializer" are quoted in the file, so entrySet() returns them quoted.
      String key = e.getKey().replace("\"", "");
      out.put(key, String.valueOf(e.getValue().unwrapped()));
    }
    return out;
  }
}
