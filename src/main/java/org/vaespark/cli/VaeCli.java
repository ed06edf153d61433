package org.vaespark.cli;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import org.nd4j.linalg.factory.Nd4j;
import org.vaespark.config.Settings;
import org.vaespark.error.OutOfMemoryException;
import org.vaespark.error.SettingsException;
import org.vaespark.evaluate.EvaluateJob;
import org.vaespark.generate.GenerateJob;
import org.vaespark.job.JobContext;
import org.vaespark.model.BuildInfo;
import org.vaespark.neighbors.NeighborsJob;
import org.vaespark.prepare.PrepareJob;
import org.vaespark.retrain.RetrainJob;
import org.vaespark.runtime.NativeBuilds;
import org.vaespark.score.ScoreJob;
import org.vaespark.train.TrainJob;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * Entry point: {@code prepare}, {@code train}, {@code generate}, {@code evaluate}, {@code pipeline}, {@code retrain},
 * {@code score} and {@code neighbors}.
 */
@Command(
    name = "spark-vae-mnist",
    mixinStandardHelpOptions = true,
    versionProvider = VaeCli.Version.class,
    description = "Distributed training of a variational autoencoder on MNIST with Spark and DL4J.",
    subcommands = {
      VaeCli.Prepare.class,
      VaeCli.Train.class,
      VaeCli.Generate.class,
      VaeCli.Evaluate.class,
      VaeCli.Pipeline.class,
      VaeCli.Retrain.class,
      VaeCli.Score.class,
      VaeCli.Neighbors.class,
      CommandLine.HelpCommand.class
    })
public final class VaeCli {
  public static void main(String[] args) {
    int code;
    try {
      code = commandLine().execute(args);
    } catch (Throwable e) { // an Error (out of memory) that picocli does not hand to the handler
      code = ExitCodes.report(e, new PrintWriter(System.err, true));
    }
    System.exit(code);
  }

  public static CommandLine commandLine() {
    return new CommandLine(new VaeCli())
        .setExecutionExceptionHandler((e, cmd, parsed) -> ExitCodes.report(e, cmd.getErr()))
        .setParameterExceptionHandler(ExitCodes::reportUsage);
  }

  /** Runs one job with a session built from the settings; stops the session afterwards. */
  abstract static class JobCommand implements Callable<Integer> {
    @Mixin
    CommonOptions options;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
      Settings settings = options.settings();
      // Before anything can load ND4J: choose the native build and OpenBLAS kernel this CPU runs
      // (README,
      // "Native CPU builds").
      NativeBuilds.configure(settings.nativeBackend().openblasCore());
      requireNd4jBackend();
      // A session that already exists (a notebook, a test, an embedding application) is used and
      // left running.
      boolean existing = SparkSession.getActiveSession().isDefined()
          || SparkSession.getDefaultSession().isDefined();
      SparkSession spark = SparkSessions.create(settings, options.master);
      try {
        run(
            JobContext.of(spark, settings),
            options.overwrite,
            spec.commandLine().getOut());
      } catch (Exception | Error e) { // SparkException is checked in Java's eyes
        OutOfMemoryException outOfMemory =
            OutOfMemory.find(e, spark.sparkContext().isLocal());
        if (outOfMemory != null) {
          throw outOfMemory;
        }
        throw e;
      } finally {
        if (!existing) {
          spark.stop();
        }
      }
      return 0;
    }

    abstract void run(JobContext context, boolean overwrite, PrintWriter out);
  }

  /** Loads ND4J's backend on the driver now, so that a missing native library fails before any Spark work. */
  static void requireNd4jBackend() {
    NativeBuilds.configure();
    try {
      Nd4j.getBackend();
    } catch (LinkageError | RuntimeException e) {
      throw new IllegalStateException("ND4J backend unavailable on the driver", e);
    }
  }

  @Command(
      name = "prepare",
      mixinStandardHelpOptions = true,
      description =
          "Read the four MNIST IDX files, check them, and publish Parquet shards of the train and test splits.")
  static final class Prepare extends JobCommand {
    @Override
    void run(JobContext context, boolean overwrite, PrintWriter out) {
      Summary.prepared(out, new PrepareJob(context).run(overwrite));
    }
  }

  @Command(
      name = "train",
      mixinStandardHelpOptions = true,
      description =
          "Train the VAE on the train shards with parameter averaging; publish the model, metadata and metrics.")
  static final class Train extends JobCommand {
    @Override
    void run(JobContext context, boolean overwrite, PrintWriter out) {
      Summary.trained(out, new TrainJob(context).run(overwrite));
    }
  }

  @Command(
      name = "generate",
      mixinStandardHelpOptions = true,
      description =
          "Write samples, reconstructions, latent embeddings and plots of a trained model.")
  static final class Generate extends JobCommand {
    @Override
    void run(JobContext context, boolean overwrite, PrintWriter out) {
      Summary.generated(out, new GenerateJob(context).run(overwrite));
    }
  }

  @Command(
      name = "evaluate",
      mixinStandardHelpOptions = true,
      description =
          "Measure a trained model on the held-out split: negative ELBO and importance-sampled log p(x).")
  static final class Evaluate extends JobCommand {
    @Override
    void run(JobContext context, boolean overwrite, PrintWriter out) {
      Summary.evaluated(out, new EvaluateJob(context).run(overwrite));
    }
  }

  @Command(
      name = "pipeline",
      mixinStandardHelpOptions = true,
      description = "Run prepare, train, generate and evaluate in one Spark application.")
  static final class Pipeline extends JobCommand {
    @Override
    void run(JobContext context, boolean overwrite, PrintWriter out) {
      PrepareJob.Result prepared = new PrepareJob(context).run(overwrite);
      TrainJob.Result trained = new TrainJob(context).run(overwrite);
      GenerateJob.Result generated = new GenerateJob(context).run(overwrite);
      EvaluateJob.Result evaluated = new EvaluateJob(context).run(overwrite);
      Summary.prepared(out, prepared);
      Summary.trained(out, trained);
      Summary.generated(out, generated);
      Summary.evaluated(out, evaluated);
    }
  }

  @Command(
      name = "retrain",
      mixinStandardHelpOptions = true,
      description = {
        "For schedulers: refresh the dataset if the input changed, train a new model version, and promote it "
            + "(CURRENT pointer, embeddings partition) only if its held-out loss is not worse than the current version's "
            + "by more than vae.retrain.tolerance-nats. Holds a lock on the output; exit 5 if another retrain holds it."
      })
  static final class Retrain extends JobCommand {
    @Override
    void run(JobContext context, boolean overwrite, PrintWriter out) {
      if (overwrite) {
        throw new SettingsException(
            "retrain does not take --overwrite: it never replaces what it published (each run "
                + "writes a new version folder, and only the promotion gate moves CURRENT); drop the option");
      }
      Summary.retrained(out, new RetrainJob(context).run());
    }
  }

  /** A job that uses a trained model: {@code --model} sets vae.score.model. */
  abstract static class ModelCommand extends JobCommand {
    @CommandLine.Option(
        names = "--model",
        paramLabel = "FOLDER|current",
        description =
            "Model to use: a published model folder, or 'current' for the version CURRENT names under "
                + "the output root (retrain's). Default: vae.score.model, else vae.paths.model.")
    String model;

    @Override
    public Integer call() {
      if (model != null) {
        options.overrides.put("vae.score.model", model);
      }
      return super.call();
    }
  }

  @Command(
      name = "score",
      mixinStandardHelpOptions = true,
      description = {
        "Score new data with a published model (or the one CURRENT names): read the input as prepare reads it "
            + "(or the dataset, with vae.score.source=dataset) and publish a table of each image's z_mean, "
            + "z_log_var, log_px, reconstruction_log_prob and is_anomaly (log_px below the model's threshold)."
      })
  static final class Score extends ModelCommand {
    @Override
    void run(JobContext context, boolean overwrite, PrintWriter out) {
      Summary.scored(out, new ScoreJob(context).run(overwrite));
    }
  }

  @Command(
      name = "neighbors",
      mixinStandardHelpOptions = true,
      description = {
        "For every image score would read, the vae.neighbors.k nearest train examples of the dataset in z_mean "
            + "space (exact, or LSH beyond vae.neighbors.exact-max-pairs); publish them as a table."
      })
  static final class Neighbors extends ModelCommand {
    @Override
    void run(JobContext context, boolean overwrite, PrintWriter out) {
      Summary.neighbors(out, new NeighborsJob(context).run(overwrite));
    }
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      BuildInfo build = BuildInfo.fromClasspath();
      return new String[] {
        "spark-vae-mnist " + build.toolVersion() + " (git " + build.gitCommit() + ")"
      };
    }
  }
}
