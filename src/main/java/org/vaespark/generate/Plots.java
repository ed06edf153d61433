package org.vaespark.generate;

import java.awt.Color;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;
import org.vaespark.model.EpochMetrics;

/** The PNG charts of {@code generate}, drawn with XChart. */
final class Plots {
  private static final Color[] LABEL_COLORS = {
    new Color(0x1f77b4), new Color(0xff7f0e), new Color(0x2ca02c), new Color(0xd62728),
        new Color(0x9467bd),
    new Color(0x8c564b), new Color(0xe377c2), new Color(0x7f7f7f), new Color(0xbcbd22),
        new Color(0x17becf)
  };

  private Plots() {}

  /** Train and held-out negative ELBO per epoch. */
  static byte[] lossCurves(List<EpochMetrics> history, String modelVersion) {
    XYChart chart = new XYChartBuilder()
        .width(800)
        .height(500)
        .title("VAE negative ELBO per example (" + modelVersion + ")")
        .xAxisTitle("epoch")
        .yAxisTitle("nats per example")
        .build();
    List<Integer> epochs = new ArrayList<>();
    List<Double> train = new ArrayList<>();
    List<Double> test = new ArrayList<>();
    for (EpochMetrics m : history) {
      epochs.add(m.epoch());
      train.add(m.trainNegElbo());
      test.add(m.testNegElbo());
    }
    chart.addSeries("train", epochs, train).setMarker(SeriesMarkers.CIRCLE);
    chart.addSeries("held-out", epochs, test).setMarker(SeriesMarkers.DIAMOND);
    return png(chart);
  }

  /** Two-dimensional points coloured by label (the colours repeat after ten labels; -1 is "no label"). */
  static byte[] scatterByLabel(
      double[][] points, int[] labels, String title, String xTitle, String yTitle) {
    XYChart chart = new XYChartBuilder()
        .width(800)
        .height(700)
        .title(title)
        .xAxisTitle(xTitle)
        .yAxisTitle(yTitle)
        .build();
    chart.getStyler().setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
    chart.getStyler().setMarkerSize(4);
    int[] present = Arrays.stream(labels).distinct().sorted().toArray();
    for (int k = 0; k < present.length; k++) {
      int label = present[k];
      List<Double> xs = new ArrayList<>();
      List<Double> ys = new ArrayList<>();
      for (int i = 0; i < labels.length; i++) {
        if (labels[i] == label) {
          xs.add(points[i][0]);
          ys.add(points[i][1]);
        }
      }
      XYSeries series = chart.addSeries(label < 0 ? "no label" : String.valueOf(label), xs, ys);
      series.setMarker(SeriesMarkers.CIRCLE);
      series.setMarkerColor(LABEL_COLORS[k % LABEL_COLORS.length]);
    }
    return png(chart);
  }

  private static byte[] png(XYChart chart) {
    try {
      return BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG);
    } catch (IOException e) {
      throw new IllegalStateException("cannot render chart '" + chart.getTitle() + "'", e);
    }
  }
}
