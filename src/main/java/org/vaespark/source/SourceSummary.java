package org.vaespark.source;

import java.util.List;

/**
 * What a {@link Source} read: the kind of input, the examples of each split, the fingerprint (a SHA-256 of the
 * decoded content that does not depend on how the work was split between tasks), and the label index (null when
 * the labels are the input's own integers, empty when there are none).
 */
public record SourceSummary(
    String kind, long trainExamples, long testExamples, String fingerprint, List<String> labels) {}
