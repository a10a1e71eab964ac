#!/usr/bin/env bash
# Runs the ring simulation at several sizes and prints one JSON line per run (the figures in docs/results.md).
# Usage: bench/sim-scale.sh [SIZES...]   (default: 1000 10000; 100000 takes tens of minutes and several GB)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(1000 10000)
for n in "${sizes[@]}"; do
  "$here/woven" sim --nodes "$n" --seed 1 --fail 0.2 --json
done
