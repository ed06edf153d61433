package org.vaespark.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * Reads a Spark event log (one JSON event per line), as the history server does: what ran where, what failed.
 * Tests use it to check what really happened on a cluster instead of trusting the application's own logs.
 */
public final class EventLog {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final List<JsonNode> events;
  private final Map<Integer, String> jobGroupOfStage = new HashMap<>();

  private EventLog(List<JsonNode> events) {
    this.events = events;
    for (JsonNode event : events) {
      if ("SparkListenerJobStart".equals(event.path("Event").asText())) {
        String group = event.path("Properties").path("spark.jobGroup.id").asText("");
        for (JsonNode stage : event.path("Stage IDs")) {
          jobGroupOfStage.put(stage.asInt(), group);
        }
      }
    }
  }

  /** The one finished event log in {@code folder} (an application that is still running has none). */
  public static EventLog readOnly(Path folder) {
    try (Stream<Path> files = Files.list(folder)) {
      List<Path> logs =
          files.filter(p -> !p.getFileName().toString().endsWith(".inprogress")).toList();
      if (logs.size() != 1) {
        throw new AssertionError(
            "expected one finished event log in " + folder + ", found " + logs);
      }
      List<JsonNode> events = new ArrayList<>();
      for (String line : Files.readAllLines(logs.get(0))) {
        if (!line.isBlank()) {
          events.add(JSON.readTree(line));
        }
      }
      return new EventLog(events);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Task-end events of stages whose job group starts with {@code groupPrefix} (e.g. "train-epoch-"). */
  public List<JsonNode> tasksInGroups(String groupPrefix) {
    return events.stream()
        .filter(e -> "SparkListenerTaskEnd".equals(e.path("Event").asText()))
        .filter(e ->
            jobGroupOfStage.getOrDefault(e.path("Stage ID").asInt(), "").startsWith(groupPrefix))
        .toList();
  }

  /** Executors on which tasks of those groups succeeded. */
  public Set<String> executorsThatSucceeded(String groupPrefix) {
    Set<String> executors = new TreeSet<>();
    for (JsonNode task : tasksInGroups(groupPrefix)) {
      if ("Success".equals(task.path("Task End Reason").path("Reason").asText())) {
        executors.add(task.path("Task Info").path("Executor ID").asText());
      }
    }
    return executors;
  }

  /** Reasons of the tasks of those groups that did not succeed (e.g. "ExecutorLostFailure"). */
  public List<String> failureReasons(String groupPrefix) {
    return tasksInGroups(groupPrefix).stream()
        .map(task -> task.path("Task End Reason").path("Reason").asText())
        .filter(reason -> !"Success".equals(reason))
        .toList();
  }

  /** Ids of executors the application lost. */
  public Set<String> removedExecutors() {
    Set<String> removed = new TreeSet<>();
    for (JsonNode event : events) {
      if ("SparkListenerExecutorRemoved".equals(event.path("Event").asText())) {
        removed.add(event.path("Executor ID").asText());
      }
    }
    return removed;
  }

  /** Whether every job ended with JobSucceeded. */
  public List<String> failedJobs() {
    return events.stream()
        .filter(e -> "SparkListenerJobEnd".equals(e.path("Event").asText()))
        .filter(e -> !"JobSucceeded".equals(e.path("Job Result").path("Result").asText()))
        .map(JsonNode::toString)
        .toList();
  }
}
