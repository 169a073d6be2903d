#!/usr/bin/env bash
# Issue 12, "Distributed": train M (dense CSV, default options) as a threaded single process,
# as `mpirun -np 2` with one thread per rank (LOGIT_THREADS=1), and as `mpirun -np 1`,
# alternated in two rounds so that all three see the same load (recorded per round).
# LOGIT_COMM_WAIT=1 times the wait for the slowest rank apart from the reductions themselves.
# Usage: bench/mpi.sh BIN OUTDIR   (BIN built with --features mpi)
set -u
BIN=$1; OUT=$2; M=${M:-/work/bench-data/M.csv}
mkdir -p "$OUT"; cd "$OUT"
for round in 1 2; do
  echo "round $round load $(cut -d' ' -f1-3 /proc/loadavg)"
  /usr/bin/time -f "single-threaded %e s wall %U user %S sys" "$BIN" train "$M" --target y -o single.json --quiet
  /usr/bin/time -f "np2 %e s wall %U user %S sys" mpirun --allow-run-as-root --oversubscribe -np 2 \
    -x LOGIT_THREADS=1 -x LOGIT_COMM_WAIT=1 "$BIN" train "$M" --target y -o np2.json --distributed 2> np2.err
  grep -E "distributed:|solver" np2.err; tail -1 np2.err
  /usr/bin/time -f "np1 %e s wall %U user %S sys" mpirun --allow-run-as-root -np 1 "$BIN" train "$M" \
    --target y -o np1.json --distributed 2> np1.err
  grep -E "distributed:" np1.err; tail -1 np1.err
done
