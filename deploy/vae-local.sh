#!/usr/bin/env bash
# Runs the application jar outside spark-submit (laptop, CI, cron on one machine): Java 17 with Spark's
# --add-opens list, Spark and Hadoop from the Maven classpath written by 'mvn package' (with hadoop-aws and the
# AWS SDK bundle, so s3a:// paths work: README, "Storage"), and off-heap limits for ND4J. The tool itself picks ND4J's native build for this CPU (README, "Native CPU builds").
# Usage: deploy/vae-local.sh <prepare|train|generate|pipeline> [options]   (build first: mvn -q package -DskipTests)
# Environment: VAE_HEAP (default 2g), VAE_OFFHEAP (JavaCPP's limits, default 6G), JAVA (default java),
#              VAE_JAR (default target/spark-vae-mnist.jar; target/spark-vae-mnist-cuda.jar for the CUDA build),
#              VAE_MAIN (default org.vaespark.cli.VaeCli; the benchmark runs its probes through it),
#              VAE_JAVA_OPTS (more JVM options, e.g. -XX:StartFlightRecording=filename=train.jfr to profile).
set -euo pipefail
# Problems with the script's own input exit 2, like the tool's bad input (README, "Exit codes").
bad_input() { echo "error: $*" >&2; exit 2; }
root=$(cd "$(dirname "$0")/.." && pwd)
jar=${VAE_JAR:-$root/target/spark-vae-mnist.jar}
classpath_file=$root/target/classpath-provided.txt
if [ ! -f "$jar" ] || [ ! -f "$classpath_file" ]; then
  bad_input "$jar not built: run 'mvn -q package -DskipTests' in $root first"
fi
opens=""
for p in java.lang java.lang.invoke java.lang.reflect java.io java.net java.nio java.util java.util.concurrent \
         java.util.concurrent.atomic jdk.internal.ref sun.nio.ch sun.nio.cs sun.security.action sun.util.calendar; do
  opens="$opens --add-opens=java.base/$p=ALL-UNNAMED"
done
offheap=${VAE_OFFHEAP:-6G}
# ND4J allocates its arrays with malloc from many threads; glibc's default of 8 arenas per core keeps freed memory
# in each and the process grows by gigabytes (docs/performance.md, "Memory"). Two arenas keep it near what is used.
export MALLOC_ARENA_MAX=${MALLOC_ARENA_MAX:-2}
# shellcheck disable=SC2086
exec "${JAVA:-java}" $opens -Xmx"${VAE_HEAP:-2g}" ${VAE_JAVA_OPTS:-} \
  -Djava.awt.headless=true \
  -Dorg.bytedeco.javacpp.maxbytes="$offheap" -Dorg.bytedeco.javacpp.maxphysicalbytes="$offheap" \
  -Dlog4j2.configurationFile="$root/conf/log4j2.properties" \
  -cp "$jar:$(cat "$classpath_file")" "${VAE_MAIN:-org.vaespark.cli.VaeCli}" "$@"
