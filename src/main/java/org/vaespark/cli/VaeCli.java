package org.vaespark.cli;

import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import org.vaespark.config.Settings;
import org.vaespark.config.SettingsException;
import org.vaespark.evaluate.EvaluateJob;
import org.vaespark.generate.GenerateJob;
import org.vaespark.io.InputFileException;
import org.vaespark.io.OutputExistsException;
import org.vaespark.model.BuildInfo;
import org.vaespark.prepare.PrepareJob;
import org.vaespark.runtime.NativeBuildException;
import org.vaespark.runtime.NativeBuilds;
import org.vaespark.train.TrainJob;
import org.vaespark.train.TrainingDivergedException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** Entry point: {@code prepare}, {@code train}, {@code generate} and {@code pipeline}. */
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
      CommandLine.HelpCommand.class
    })
public final class VaeCli {
  /** Exit code for bad input: config, paths, data or an output that already exists. */
  public static final int EXIT_BAD_INPUT = 2;
  /** Exit code when training diverged (NaN or infinite loss). */
  public static final int EXIT_DIVERGED = 3;
  /** Exit code when ND4J's native backend cannot load on the driver or an executor (CPU features, CUDA). */
  public static final int EXIT_NO_BACKEND = 4;
  /** Exit code when another retrain holds the storage lock: retry later. */
  public static final int EXIT_LOCKED = 5;

  public static void main(String[] args) {
    try {
      // Before anything can load ND4J: choose the native build this CPU runs (README, "Native CPU builds").
      NativeBuilds.configure();
    } catch (NativeBuildException e) {
      System.err.println("error: " + e.getMessage());
      System.exit(EXIT_NO_BACKEND);
    }
    System.exit(commandLine().execute(args));
  }

  public static CommandLine commandLine() {
    return new CommandLine(new VaeCli()).setExecutionExceptionHandler(VaeCli::handle);
  }

  private static int handle(Exception e, CommandLine cmd, CommandLine.ParseResult parsed) {
    PrintWriter err = cmd.getErr();
    int code = exitCode(e);
    String backend = code == 1 ? backendFailure(e) : null;
    if (e instanceof NativeBuildException) {
      err.println("error: " + e.getMessage());
      code = EXIT_NO_BACKEND;
    } else if (backend != null) {
      err.println("error: ND4J could not load its native backend (" + backend + "). The CPU jar needs an x86-64 "
          + "Linux node (the tool picks the generic, AVX2 or AVX-512 build from the CPU: " + NativeBuilds.PROPERTY
          + " overrides it); the CUDA "
          + "jar needs an NVIDIA driver, CUDA 11.6 and cuDNN 8.3 on every node (README, 'GPU executors').");
      code = EXIT_NO_BACKEND;
    } else if (code != 1) {
      err.println("error: " + e.getMessage());
    } else {
      err.println("error: " + e);
      e.printStackTrace(err);
    }
    err.flush();
    return code;
  }

  /** The exit code of a failure the user can act on from its one-line message, or 1 for anything else. */
  private static int exitCode(Exception e) {
    if (e instanceof SettingsException || e instanceof InputFileException || e instanceof OutputExistsException
        || e instanceof UncheckedIOException) {
      return EXIT_BAD_INPUT;
    }
    if (e instanceof TrainingDivergedException) {
      return EXIT_DIVERGED;
    }
    if (e instanceof org.vaespark.retrain.LockedException) {
      return EXIT_LOCKED;
    }
    return 1;
  }

  /** The first line of a native-backend failure anywhere in the cause chain, or null. */
  static String backendFailure(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      String message = String.valueOf(t.getMessage());
      if (t instanceof UnsatisfiedLinkError || t instanceof org.nd4j.linalg.factory.Nd4jBackend.NoAvailableBackendException
          || message.contains("NoAvailableBackendException") || message.contains("UnsatisfiedLinkError")) {
        String line = message.lines()
            .filter(l -> l.contains("NoAvailableBackendException") || l.contains("UnsatisfiedLinkError"))
            .findFirst().orElse(message.lines().findFirst().orElse(""));
        return t.getClass().getSimpleName() + ": " + line.trim();
      }
    }
    return null;
  }

  /** Runs one job with a session built from the settings; stops the session afterwards. */
  abstract static class JobCommand implements Callable<Integer> {
    @Mixin CommonOptions options;
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
      Settings settings = options.settings();
      requireNd4jBackend();
      // A session that already exists (a notebook, a test, an embedding application) is used and left running.
      boolean existing = SparkSession.getActiveSession().isDefined() || SparkSession.getDefaultSession().isDefined();
      SparkSession spark = SparkSessions.create(settings, options.master);
      try {
        run(spark, settings, options.overwrite, spec.commandLine().getOut());
      } finally {
        if (!existing) {
          spark.stop();
        }
      }
      return 0;
    }

    abstract void run(SparkSession spark, Settings settings, boolean overwrite, PrintWriter out);
  }

  /** Loads ND4J's backend on the driver now, so that a missing native library fails before any Spark work. */
  static void requireNd4jBackend() {
    NativeBuilds.configure();
    try {
      org.nd4j.linalg.factory.Nd4j.getBackend();
    } catch (LinkageError | RuntimeException e) {
      throw new IllegalStateException("ND4J backend unavailable on the driver", e);
    }
  }

  @Command(name = "prepare", mixinStandardHelpOptions = true,
      description = "Read the four MNIST IDX files, check them, and publish Parquet shards of the train and test splits.")
  static final class Prepare extends JobCommand {
    @Override
    void run(SparkSession spark, Settings settings, boolean overwrite, PrintWriter out) {
      Summary.prepared(out, new PrepareJob(spark, settings).run(overwrite));
    }
  }

  @Command(name = "train", mixinStandardHelpOptions = true,
      description = "Train the VAE on the train shards with parameter averaging; publish the model, metadata and metrics.")
  static final class Train extends JobCommand {
    @Override
    void run(SparkSession spark, Settings settings, boolean overwrite, PrintWriter out) {
      Summary.trained(out, new TrainJob(spark, settings).run(overwrite));
    }
  }

  @Command(name = "generate", mixinStandardHelpOptions = true,
      description = "Write samples, reconstructions, latent embeddings and plots of a trained model.")
  static final class Generate extends JobCommand {
    @Override
    void run(SparkSession spark, Settings settings, boolean overwrite, PrintWriter out) {
      Summary.generated(out, new GenerateJob(spark, settings).run(overwrite));
    }
  }

  @Command(name = "evaluate", mixinStandardHelpOptions = true,
      description = "Measure a trained model on the held-out split: negative ELBO and importance-sampled log p(x).")
  static final class Evaluate extends JobCommand {
    @Override
    void run(SparkSession spark, Settings settings, boolean overwrite, PrintWriter out) {
      Summary.evaluated(out, new EvaluateJob(spark, settings).run(overwrite));
    }
  }

  @Command(name = "pipeline", mixinStandardHelpOptions = true,
      description = "Run prepare, train, generate and evaluate in one Spark application.")
  static final class Pipeline extends JobCommand {
    @Override
    void run(SparkSession spark, Settings settings, boolean overwrite, PrintWriter out) {
      PrepareJob.Result prepared = new PrepareJob(spark, settings).run(overwrite);
      TrainJob.Result trained = new TrainJob(spark, settings).run(overwrite);
      GenerateJob.Result generated = new GenerateJob(spark, settings).run(overwrite);
      EvaluateJob.Result evaluated = new EvaluateJob(spark, settings).run(overwrite);
      Summary.prepared(out, prepared);
      Summary.trained(out, trained);
      Summary.generated(out, generated);
      Summary.evaluated(out, evaluated);
    }
  }

  @Command(name = "retrain", mixinStandardHelpOptions = true,
      description = {"For schedulers: refresh the dataset if the input changed, train a new model version, and promote it "
          + "(CURRENT pointer, embeddings partition) only if its held-out loss is not worse than the current version's "
          + "by more than vae.retrain.tolerance-nats. Holds a lock on the output; exit 5 if another retrain holds it."})
  static final class Retrain extends JobCommand {
    @Override
    void run(SparkSession spark, Settings settings, boolean overwrite, PrintWriter out) {
      if (overwrite) {
        throw new SettingsException("retrain does not take --overwrite: it never replaces what it published (each run "
            + "writes a new version folder, and only the promotion gate moves CURRENT); drop the option");
      }
      Summary.retrained(out, new org.vaespark.retrain.RetrainJob(spark, settings).run());
    }
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"spark-vae-mnist " + BuildInfo.toolVersion() + " (git " + BuildInfo.gitCommit() + ")"};
    }
  }
}
