package org.vaespark.cli;

import java.io.File;
import java.util.LinkedHashMap;
import java.util.Map;
import org.vaespark.config.Settings;
import org.vaespark.config.SettingsLoader;
import picocli.CommandLine.Option;

/** Options every subcommand takes. */
final class CommonOptions {
  @Option(
      names = {"-c", "--config"},
      paramLabel = "FILE",
      description = "Config file (HOCON) layered over the defaults, e.g. conf/local.conf.")
  File config;

  @Option(
      names = "--master",
      paramLabel = "URL",
      description =
          "Spark master, when not started by spark-submit (which sets it). Default: vae.spark.master, else local[*].")
  String master;

  @Option(
      names = {"-D", "--set"},
      paramLabel = "KEY=VALUE",
      mapFallbackValue = "",
      description = "Override any config key, e.g. --set vae.training.epochs=5. Repeatable.")
  Map<String, String> overrides = new LinkedHashMap<>();

  @Option(
      names = "--input",
      paramLabel = "PATH",
      description = "Shortcut for vae.paths.input (folder of IDX files).")
  String input;

  @Option(
      names = "--output",
      paramLabel = "PATH",
      description = "Shortcut for vae.paths.output (root of all outputs).")
  String output;

  @Option(
      names = "--overwrite",
      description = "Replace outputs that already exist (refused by default).")
  boolean overwrite;

  Settings settings() {
    Map<String, String> all = new LinkedHashMap<>(overrides);
    if (input != null) {
      all.put("vae.paths.input", input);
    }
    if (output != null) {
      all.put("vae.paths.output", output);
    }
    return SettingsLoader.load(config, all);
  }
}
