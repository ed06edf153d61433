"""Nightly retraining of spark-vae-mnist with Apache Airflow (2.x) and the Spark provider.

Copy to your DAGs folder. Needs apache-airflow-providers-apache-spark and a 'spark_default' connection to
your cluster, with deploy mode "cluster" (so that --files ships the config next to the driver; in client mode
give --config the absolute path). max_active_runs=1 keeps runs from overlapping; retrain's storage lock refuses a second one anyway
(exit 5), and Airflow's retry then tries again later.
"""
from datetime import datetime, timedelta

from airflow import DAG
from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator

with DAG(
    dag_id="spark_vae_mnist_retrain",
    schedule="0 2 * * *",
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    default_args={"retries": 2, "retry_delay": timedelta(minutes=15)},
    tags=["ml", "vae"],
) as dag:
    SparkSubmitOperator(
        task_id="retrain",
        conn_id="spark_default",
        application="/opt/spark-vae-mnist/spark-vae-mnist.jar",
        java_class="org.vaespark.cli.VaeCli",
        name="spark-vae-mnist retrain",
        files="/opt/spark-vae-mnist/cluster.conf",
        application_args=[
            "retrain",
            "--config", "cluster.conf",
            "--input", "hdfs:///datasets/mnist",
            "--output", "hdfs:///models/spark-vae-mnist",
        ],
        conf={
            "spark.executor.extraJavaOptions": "-Dorg.bytedeco.javacpp.maxbytes=4G -Dorg.bytedeco.javacpp.maxphysicalbytes=8G",
            "spark.executor.memoryOverhead": "5g",
        },
        executor_cores=2,
        executor_memory="4g",
        num_executors=4,
    )
