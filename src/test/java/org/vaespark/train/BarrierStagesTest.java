package org.vaespark.train;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.spark.SparkException;
import org.junit.jupiter.api.Test;
import org.vaespark.error.SettingsException;

/** What barrier stages need, read from the master and from Spark's own refusal. */
class BarrierStagesTest {
  @Test
  void taskSlotsOfLocalMasters() {
    assertThat(BarrierStages.localSlots("local", 1)).isEqualTo(1);
    assertThat(BarrierStages.localSlots("local[4]", 1)).isEqualTo(4);
    assertThat(BarrierStages.localSlots("local[4]", 2)).isEqualTo(2);
    assertThat(BarrierStages.localSlots("local[3, 2]", 1)).isEqualTo(3);
    assertThat(BarrierStages.localSlots("local[*]", 1))
        .isEqualTo(Runtime.getRuntime().availableProcessors());
    assertThat(BarrierStages.localSlots("spark://host:7077", 1)).isZero();
    assertThat(BarrierStages.localSlots("local-cluster[2,1,1024]", 1)).isZero();
  }

  @Test
  void sparksRefusalForWantOfSlotsBecomesASettingToChange() {
    SparkException refused = new SparkException(
        "[SPARK-24819]: Barrier execution mode does not allow run a barrier stage that requires more slots than "
            + "the total number of slots in the cluster currently.");

    RuntimeException explained = BarrierStages.explain(refused, 8);

    assertThat(explained)
        .isInstanceOf(SettingsException.class)
        .hasMessageContaining("vae.training.workers = 8 needs 8 task slots at once");
  }

  @Test
  void otherFailuresPassThrough() {
    IllegalStateException other = new IllegalStateException("boom");

    assertThat(BarrierStages.explain(other, 2)).isSameAs(other);
    assertThat(BarrierStages.explain(new SparkException("lost"), 2))
        .isInstanceOf(IllegalStateException.class)
        .hasCauseInstanceOf(SparkException.class);
  }
}
