package org.vaespark.model;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * The two terms of the VAE's negative ELBO, in one place for training, evaluation and importance sampling: the
 * Bernoulli reconstruction term from logits and the analytic KL(q(z|x) || N(0, I)).
 */
public final class VaeLoss {
  private VaeLoss() {}

  /**
   * -log p(x|z) of each row, summed over pixels, for Bernoulli logits {@code l}: softplus(l) - x l, with softplus
   * in its stable form max(l, 0) + log1p(exp(-|l|)). Returns a vector of one value per row. The [rows, pixels]
   * temporaries are freed at once: left to the garbage collector, ND4J's off-heap memory grows towards its
   * limit before it is released.
   */
  public static INDArray reconstructionPerRow(INDArray logits, INDArray x) {
    INDArray softplus = Transforms.abs(logits, true);
    Transforms.log(Transforms.exp(softplus.negi(), false).addi(1.0), false);
    INDArray positive = Transforms.relu(logits, true);
    INDArray product = x.mul(logits);
    INDArray perRow = softplus.addi(positive).subi(product).sum(1);
    for (INDArray temporary : new INDArray[] {softplus, positive, product}) {
      temporary.close();
    }
    return perRow;
  }

  /** The reconstruction term summed over the batch. */
  public static double reconstruction(INDArray logits, INDArray x) {
    return reconstructionPerRow(logits, x).sumNumber().doubleValue();
  }

  /** KL(q(z|x) || N(0, I)) summed over the batch: -1/2 sum(1 + lv - mu^2 - exp(lv)). */
  public static double kl(INDArray mu, INDArray logVar) {
    INDArray terms = logVar.add(1.0).subi(mu.mul(mu)).subi(Transforms.exp(logVar, true));
    return -0.5 * terms.sumNumber().doubleValue();
  }
}
