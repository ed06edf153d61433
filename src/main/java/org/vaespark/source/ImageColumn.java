package org.vaespark.source;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.VectorUDT;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.BinaryType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.FractionalType;
import org.apache.spark.sql.types.IntegralType;
import org.apache.spark.sql.types.StructType;
import org.vaespark.dataset.Images;
import org.vaespark.error.InputFileException;

/**
 * The one place where an image column's value becomes the dataset's pixels (8-bit grayscale, row-major, of the
 * dataset's or model's size): binary (an encoded PNG/JPEG/BMP/GIF image, or raw 8-bit pixels), an array of
 * numbers (integers 0..255 or floating-point intensities in [0, 1]), an ML {@code Vector} of intensities in
 * [0, 1], or the struct of Spark's image data source. {@code prepare} reads Parquet tables through it,
 * {@code score} and {@code VaeModel.transform} read DataFrames through it, and the SQL functions their arguments.
 */
public final class ImageColumn {
  private ImageColumn() {}

  /** How a column holds its images. */
  public enum Kind {
    BINARY,
    NUMBERS,
    VECTOR,
    SPARK_IMAGE
  }

  /** The kind of images a column of {@code type} holds; anything else is bad input naming the column. */
  public static Kind kind(DataType type, String column, String where) {
    if (type instanceof BinaryType) {
      return Kind.BINARY;
    }
    if (type instanceof ArrayType array
        && (array.elementType() instanceof IntegralType
            || array.elementType() instanceof FractionalType)) {
      return Kind.NUMBERS;
    }
    if (type instanceof VectorUDT) {
      return Kind.VECTOR;
    }
    if (type instanceof StructType struct
        && Arrays.asList(struct.fieldNames())
            .containsAll(List.of("height", "width", "nChannels", "data"))) {
      return Kind.SPARK_IMAGE;
    }
    throw new InputFileException(where + ": image column '" + column + "' has type "
        + type.simpleString()
        + ": expected binary (an encoded image or raw 8-bit pixels), an array of numbers, an ML Vector of "
        + "intensities in [0, 1], or the struct of Spark's image data source");
  }

  /**
   * The pixels of one value of an image column, at {@code shape}, on an executor: {@code value} as Spark hands it
   * to Java (byte[], a list or Scala sequence of numbers, an ML Vector, a Row of the image struct); {@code source}
   * (the file or table) is named in every error.
   */
  public static byte[] pixels(Object value, Images.Shape shape, String source, String what) {
    if (value == null) {
      throw new InputFileException(source + ": " + what + " is null: every row needs an image");
    }
    if (value instanceof byte[] bytes) {
      return ImageConversion.looksEncoded(bytes)
          ? ImageConversion.decode(bytes, shape, source)
          : ImageConversion.raw(bytes, shape, source, what);
    }
    if (value instanceof Vector vector) {
      List<Double> values = new ArrayList<>(vector.size());
      for (double v : vector.toArray()) {
        values.add(v);
      }
      return ImageConversion.numbers(values, shape, source, what);
    }
    if (value instanceof Row struct) {
      return ImageConversion.sparkImage(
          struct.getInt(struct.fieldIndex("height")),
          struct.getInt(struct.fieldIndex("width")),
          struct.getInt(struct.fieldIndex("nChannels")),
          (byte[]) struct.get(struct.fieldIndex("data")),
          shape,
          source);
    }
    if (value instanceof List<?> list) {
      return ImageConversion.numbers(list, shape, source, what);
    }
    if (value instanceof scala.collection.Seq<?> seq) {
      return ImageConversion.numbers(
          scala.collection.JavaConverters.seqAsJavaList(seq), shape, source, what);
    }
    throw new InputFileException(source + ": " + what + " holds a "
        + value.getClass().getSimpleName()
        + ": expected binary, an array of numbers, an ML Vector or Spark's image struct");
  }

  /** A row's image column as pixels; Spark's Java rows hold arrays as Scala sequences, read here as lists. */
  public static byte[] pixels(Row row, int index, Images.Shape shape, String source, String what) {
    if (row.isNullAt(index)) {
      throw new InputFileException(source + ": " + what + " is null: every row needs an image");
    }
    Object value = row.get(index);
    if (value instanceof scala.collection.Seq<?>) {
      value = row.getList(index);
    }
    return pixels(value, shape, source, what);
  }

  /** A serializable converter of one column's values, for tasks. */
  public static final class Reader implements Serializable {
    private static final long serialVersionUID = 1L;
    private final Images.Shape shape;
    private final String source;
    private final String what;

    public Reader(Images.Shape shape, String source, String column) {
      this.shape = shape;
      this.source = source;
      this.what = "a row's column '" + column + "'";
    }

    public byte[] pixels(Row row, int index) {
      return ImageColumn.pixels(row, index, shape, source, what);
    }

    public Images.Shape shape() {
      return shape;
    }
  }
}
