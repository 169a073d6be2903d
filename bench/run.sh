#!/usr/bin/env bash
# One command for the whole benchmark: bench/run.sh [--quick] [--rounds N] [--data DIR] ...
# (installs what is missing, generates the data, runs, writes bench/results-latest.md).
set -euo pipefail
cd "$(dirname "$0")/.."
exec python3 bench/bench.py "$@"
