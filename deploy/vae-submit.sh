#!/usr/bin/env bash
# Submits one of the tool's commands to a Spark cluster with spark-submit: standalone, YARN or Kubernetes.
#
# Usage: deploy/vae-submit.sh [spark-submit options...] -- <prepare|train|generate|pipeline|retrain> [tool options...]
#
#   Standalone: deploy/vae-submit.sh --master spark://master:7077 -- pipeline --output hdfs:///models/vae
#   YARN:       deploy/vae-submit.sh --master yarn --deploy-mode cluster --num-executors 4 -- train
#   Kubernetes: deploy/vae-submit.sh --master k8s://https://api.example.com:6443 --deploy-mode cluster \
#                 --conf spark.kubernetes.container.image=registry.example.com/spark-vae-mnist:1.0 -- pipeline
#               (or the Spark Operator: deploy/k8s/spark-application.yaml)
#
# It adds the application jar, the main class and the config file (shipped with --files; on YARN in cluster
# deploy mode the driver finds it by file name in its container; in Kubernetes and standalone cluster mode give
# VAE_CONF a path that exists where the driver runs, e.g. inside the image). Spark settings in the config
# (conf/cluster.conf) apply unless spark-submit sets them; --conf given here wins.
#
# S3 (s3a:// paths): the driver and every executor need hadoop-aws of the cluster's own Hadoop version and the
# AWS SDK bundle it depends on. The application jar does not carry them (a second copy would clash with the
# cluster's). Many platforms bring them (EMR, Dataproc, Databricks, images built with Spark's hadoop-cloud
# profile); Spark's plain binary distribution and the apache/spark images do not. Where the cluster lacks them,
# let spark-submit fetch them (the version is that of $SPARK_HOME/jars/hadoop-client-api-*.jar; 3.3.4 for
# Spark 3.5.7):
#   deploy/vae-submit.sh --packages org.apache.hadoop:hadoop-aws:3.3.4 --master yarn -- pipeline \
#     --output s3a://bucket/models/vae
# (--packages brings com.amazonaws:aws-java-sdk-bundle with it; without access to Maven Central, pass both jars
# with --jars.) Without them the tool exits 2 naming the scheme and these jars. Credentials: README, "Credentials".
#
# Environment:
#   SPARK_SUBMIT  the spark-submit command (default: $SPARK_HOME/bin/spark-submit, else spark-submit on PATH)
#   VAE_JAR       the application jar (default: target/spark-vae-mnist.jar next to this script); for Kubernetes
#                 cluster mode, a local:///path inside the image or a URI the cluster can fetch
#   VAE_CONF      the config file (default: conf/cluster.conf next to this script)
set -euo pipefail
# Problems with the script's own input exit 2, like the tool's bad input (README, "Exit codes").
bad_input() { echo "error: $*" >&2; exit 2; }
root=$(cd "$(dirname "$0")/.." && pwd)

submit_args=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do
  submit_args+=("$1")
  shift
done
if [ $# -eq 0 ] || [ $# -eq 1 ]; then
  bad_input "give spark-submit options, then '--', then the command, e.g.: $0 --master spark://host:7077 -- pipeline"
fi
shift # the "--"

jar=${VAE_JAR:-$root/target/spark-vae-mnist.jar}
case "$jar" in
  *://*) ;;
  *) if [ ! -f "$jar" ]; then
       bad_input "application jar $jar not found: run 'mvn -q package -DskipTests' in $root, or set VAE_JAR"
     fi ;;
esac
conf=${VAE_CONF:-$root/conf/cluster.conf}
if [ ! -f "$conf" ]; then
  bad_input "config file $conf not found: set VAE_CONF to your cluster's config"
fi

if [ -n "${SPARK_SUBMIT:-}" ]; then
  read -r -a submit <<< "$SPARK_SUBMIT"
elif [ -n "${SPARK_HOME:-}" ] && [ -x "$SPARK_HOME/bin/spark-submit" ]; then
  submit=("$SPARK_HOME/bin/spark-submit")
elif command -v spark-submit > /dev/null; then
  submit=(spark-submit)
else
  bad_input "spark-submit not found: set SPARK_HOME, put spark-submit on PATH, or set SPARK_SUBMIT"
fi

# In cluster deploy mode on YARN the driver runs in a container whose working directory holds the --files:
# name the config by its file name there. Elsewhere (client mode; Kubernetes, where the image carries the config;
# standalone cluster mode) the driver reads the path as given, so it must exist there.
config_arg=$conf
master="" deploy_mode=client
for ((i = 0; i < ${#submit_args[@]}; i++)); do
  case "${submit_args[$i]}" in
    --master) master=${submit_args[$((i + 1))]:-} ;;
    --deploy-mode) deploy_mode=${submit_args[$((i + 1))]:-} ;;
  esac
done
if [ "$deploy_mode" = cluster ] && [ "${master%%:*}" = yarn ]; then
  config_arg=$(basename "$conf")
fi

command=$1
shift
exec "${submit[@]}" \
  --class org.vaespark.cli.VaeCli \
  --name "spark-vae-mnist $command" \
  --files "$conf" \
  "${submit_args[@]}" \
  "$jar" "$command" --config "$config_arg" "$@"
