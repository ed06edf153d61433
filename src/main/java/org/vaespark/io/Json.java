package org.vaespark.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.vaespark.error.InputFileException;

/**
 * One JSON style for every file the tool writes: snake_case keys ({@code train_examples}), through one shared
 * Jackson mapper (Jackson comes with Spark). Files written before 0.1.0 used camelCase keys for manifests,
 * metadata and checkpoints; {@link #parse} still reads them.
 */
public final class Json {
  public static final ObjectMapper MAPPER =
      mapper().enable(SerializationFeature.INDENT_OUTPUT).build();
  private static final ObjectMapper COMPACT = mapper().build();
  /** Objects whose keys are data, not field names: left as they are when reading old files. */
  private static final Set<String> VERBATIM = Set.of("config", "versions");

  private Json() {}

  private static JsonMapper.Builder mapper() {
    return JsonMapper.builder().propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE);
  }

  public static String pretty(Object value) {
    try {
      return MAPPER.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot serialize " + value.getClass().getSimpleName(), e);
    }
  }

  public static String line(Object value) {
    try {
      return COMPACT.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot serialize " + value.getClass().getSimpleName(), e);
    }
  }

  /** Reads {@code json} as a {@code type}; {@code source} (the file) is named if it is not valid. */
  public static <T> T parse(String json, Class<T> type, String source) {
    try {
      JsonNode tree = MAPPER.readTree(json);
      return MAPPER.treeToValue(snakeCaseKeys(tree), type);
    } catch (JsonProcessingException | IllegalArgumentException e) {
      String reason =
          e instanceof JsonProcessingException p ? p.getOriginalMessage() : e.getMessage();
      throw new InputFileException(
          source + ": not valid JSON for " + type.getSimpleName() + " (" + reason + ")", e);
    }
  }

  /** The tree with camelCase field names (files of earlier versions) renamed to snake_case, recursively. */
  static JsonNode snakeCaseKeys(JsonNode node) {
    if (node instanceof ObjectNode object) {
      List<Map.Entry<String, JsonNode>> fields = new ArrayList<>();
      object.fields().forEachRemaining(fields::add);
      ObjectNode renamed = object.objectNode();
      for (Map.Entry<String, JsonNode> field : fields) {
        String key = field.getKey();
        JsonNode value =
            VERBATIM.contains(key) ? field.getValue() : snakeCaseKeys(field.getValue());
        renamed.set(PropertyNamingStrategies.SnakeCaseStrategy.INSTANCE.translate(key), value);
      }
      return renamed;
    }
    if (node != null && node.isArray()) {
      for (int i = 0; i < node.size(); i++) {
        ((ArrayNode) node).set(i, snakeCaseKeys(node.get(i)));
      }
    }
    return node;
  }
}
