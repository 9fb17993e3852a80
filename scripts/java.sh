#!/usr/bin/env bash
# Make sure a Java runtime is on PATH for the Spark tests (pyspark starts a JVM); installs
# Debian's headless OpenJDK when there is none. Idempotent. Usage: scripts/java.sh
set -euo pipefail
if command -v java >/dev/null 2>&1; then
    exit 0
fi
echo "installing Debian's headless OpenJDK for Spark" >&2
export DEBIAN_FRONTEND=noninteractive
pkg=$(apt-cache pkgnames openjdk- 2>/dev/null | grep -E '^openjdk-(17|21)-jre-headless$' | sort | head -1 || true)
{ apt-get update -q && apt-get install -y -q --no-install-recommends "${pkg:-default-jre-headless}"; } >&2
