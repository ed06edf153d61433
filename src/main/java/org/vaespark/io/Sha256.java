package org.vaespark.io;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** SHA-256, the hash of dataset fingerprints, IDX contents and model versions. */
public final class Sha256 {
  private Sha256() {}

  public static MessageDigest newDigest() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }

  /** The first {@code bytes} bytes of the hash of {@code content}, in hex. */
  public static String hexPrefix(byte[] content, int bytes) {
    return HexFormat.of().formatHex(newDigest().digest(content), 0, bytes);
  }
}
