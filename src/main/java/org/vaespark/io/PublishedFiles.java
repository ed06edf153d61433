package org.vaespark.io;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * What {@code _SUCCESS} holds: every file of a published output (its path inside the output and its size), so
 * that a reader can tell a complete output from one whose files are not all there, such as an output copied by a
 * tool that wrote {@code _SUCCESS} before the data, or a listing that lags behind the writes. Outputs published
 * by earlier versions have an empty {@code _SUCCESS} (as Spark writes it), which lists nothing and is trusted as
 * it is.
 */
public record PublishedFiles(List<Entry> files) {

  /** One file: its path relative to the output folder ('/'-separated) and its size in bytes. */
  public record Entry(String path, long bytes) {}

  /** The files found, sorted by path. */
  public static PublishedFiles of(Map<String, Long> sizes) {
    List<Entry> entries = new ArrayList<>();
    sizes.forEach((path, bytes) -> entries.add(new Entry(path, bytes)));
    entries.sort(Comparator.comparing(Entry::path));
    return new PublishedFiles(List.copyOf(entries));
  }

  /**
   * The first file listed here that is missing from {@code found}, described for an error message; null if every
   * listed file is there. Files not listed are ignored, and so are sizes: a file replaced after publication is
   * left to the reader's own checks of its content (the sizes are a record of what was published).
   */
  public String firstMissing(Collection<String> found) {
    for (Entry entry : files) {
      if (!found.contains(entry.path())) {
        return entry.path() + " is missing";
      }
    }
    return null;
  }
}
