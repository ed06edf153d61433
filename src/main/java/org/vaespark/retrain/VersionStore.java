package org.vaespark.retrain;

import java.time.Clock;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;
import org.vaespark.io.Json;
import org.vaespark.io.Storage;

/**
 * The versioned layout {@code retrain} keeps under the output root:
 *
 * <pre>
 * CURRENT                          the pointer: JSON naming the promoted version (replaced atomically)
 * versions/v20261124T010203Z/      one folder per version: model/, generated/ (plots, samples, embeddings),
 *                                  promotion.json (the gate's decision) and _SUCCESS once the version is complete
 * embeddings/model_version=v.../   latent embeddings of every promoted version, one Spark partition each
 * _LOCK                            held while a retrain runs
 * </pre>
 */
public final class VersionStore {
  public static final String POINTER = "CURRENT";
  public static final String VERSIONS = "versions";
  public static final String EMBEDDINGS = "embeddings";
  public static final String LOCK = "_LOCK";
  public static final String DECISION = "promotion.json";
  private static final DateTimeFormatter VERSION_TIME =
      DateTimeFormatter.ofPattern("'v'yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

  private final Storage storage;
  private final Path root;
  private final Clock clock;

  public VersionStore(Storage storage, Path root, Clock clock) {
    this.storage = storage;
    this.root = root;
    this.clock = clock;
  }

  /** What {@code CURRENT} says: the promoted version, its model and the held-out loss it was promoted with. */
  public record Pointer(
      String version,
      String model,
      String embeddings,
      double testNegElbo,
      String datasetFingerprint,
      String promotedAt) {}

  /** The gate's decision for one version ({@code promotion.json} in its folder). */
  public record Decision(
      String version,
      boolean promoted,
      double candidateTestNegElbo,
      String currentVersion,
      Double currentTestNegElbo,
      double toleranceNats,
      String reason,
      String decidedAt) {}

  public Path root() {
    return root;
  }

  public Path lockFile() {
    return new Path(root, LOCK);
  }

  public Path versionDir(String version) {
    return new Path(new Path(root, VERSIONS), version);
  }

  public Path embeddingsPartition(String version) {
    return new Path(new Path(root, EMBEDDINGS), "model_version=" + version);
  }

  public Optional<Pointer> current() {
    Path pointer = new Path(root, POINTER);
    if (!storage.exists(pointer)) {
      return Optional.empty();
    }
    return Optional.of(Json.parse(storage.readString(pointer), Pointer.class, pointer.toString()));
  }

  /** Replaces {@code CURRENT} in one atomic rename: readers see the old pointer or the new one, never a mix. */
  public void point(Pointer pointer) {
    storage.replace(new Path(root, POINTER), Json.pretty(pointer));
  }

  public void writeDecision(Decision decision) {
    storage.replace(new Path(versionDir(decision.version()), DECISION), Json.pretty(decision));
  }

  public void markComplete(String version) {
    storage.writeString(new Path(versionDir(version), Storage.SUCCESS), "");
  }

  /**
   * The newest version, if a killed run left it without {@code _SUCCESS}: to be finished rather than started
   * anew. Only the newest counts: runs hold the lock one at a time, so an older unfinished folder was abandoned.
   */
  public Optional<String> unfinished() {
    return versions().stream()
        .reduce((first, second) -> second)
        .filter(v -> !storage.isPublished(versionDir(v)));
  }

  /** A new version id: the UTC time, made unique among existing versions. */
  public String newVersion() {
    String base = VERSION_TIME.format(clock.instant());
    String version = base;
    for (int i = 2; storage.exists(versionDir(version)); i++) {
      version = base + "-" + i;
    }
    return version;
  }

  /** Version folder names, oldest first. */
  public List<String> versions() {
    return Arrays.stream(storage.list(new Path(root, VERSIONS)))
        .filter(FileStatus::isDirectory)
        .map(s -> s.getPath().getName())
        .filter(name -> name.startsWith("v"))
        .sorted()
        .toList();
  }
}
