package org.vaespark.train;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;

/**
 * The wire format between the training tasks and the driver's {@link AveragingServer}, over one TCP connection
 * per task and epoch. Headers are big-endian; the model state (parameters, then Adam's two moments: 3 x P floats)
 * travels as raw floats in native byte order straight between ND4J's memory and the socket.
 *
 * <pre>
 * task -> driver  HELLO       magic, token (16 bytes), epoch, attempt, partition
 * driver -> task  WELCOME     status (OK | STALE), rounds, first round, iteration at the epoch's start; if OK, the state
 * task -> driver  CONTRIBUTE  round, batches trained (0: none left), loss of the last step, step seconds; if batches
 *                             > 0, the state after them
 * driver -> task  REPLY       status (CONTINUE | DONE | DIVERGED | ABORTED); after CONTINUE to a task that
 *                             contributed, the averaged state
 * </pre>
 */
final class AveragingProtocol {
  static final int MAGIC = 0x56414531; // "VAE1"
  static final int TOKEN_BYTES = 16;
  static final int HELLO_BYTES = 4 + TOKEN_BYTES + 4 + 4 + 4;
  static final int WELCOME_BYTES = 4 * 4;
  static final int CONTRIBUTE_BYTES = 4 + 4 + 8 + 8;
  static final int REPLY_BYTES = 4;

  static final int OK = 0;
  static final int STALE = 1;

  static final int CONTINUE = 0;
  static final int DONE = 1;
  static final int DIVERGED = 2;
  static final int ABORTED = 3;

  private AveragingProtocol() {}

  /** A header of {@code bytes} bytes, read whole. */
  static ByteBuffer read(SocketChannel channel, int bytes) throws IOException {
    ByteBuffer header = ByteBuffer.allocate(bytes);
    readFully(channel, header);
    return header.flip();
  }

  /** Fills every buffer from the channel, in order. */
  static void readFully(SocketChannel channel, ByteBuffer... buffers) throws IOException {
    for (ByteBuffer buffer : buffers) {
      while (buffer.hasRemaining()) {
        if (channel.read(buffer) < 0) {
          throw new EOFException(
              "connection closed with " + buffer.remaining() + " bytes still to read");
        }
      }
    }
  }

  /** Writes every buffer whole, in order. */
  static void writeFully(SocketChannel channel, ByteBuffer... buffers) throws IOException {
    long remaining = 0;
    for (ByteBuffer buffer : buffers) {
      remaining += buffer.remaining();
    }
    while (remaining > 0) {
      remaining -= channel.write(buffers);
    }
  }

  /** Fresh views (position 0) of the state buffers, so that one set of buffers can be read or written again. */
  static ByteBuffer[] rewound(ByteBuffer... buffers) {
    ByteBuffer[] out = new ByteBuffer[buffers.length];
    for (int i = 0; i < buffers.length; i++) {
      out[i] = buffers[i].duplicate().clear();
    }
    return out;
  }
}
