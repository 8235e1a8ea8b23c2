#!/usr/bin/env bash
# Verification throughput against two peers, on the same messages, in one run:
#   - dkimpy (2 processes): what most newsrooms would reach for;
#   - a bare mail-auth loop (2 threads, bench/mailauth-loop): the speed of
#     plain pass/fail verification in Rust, keys from a cache, no evidence.
# tamis is timed on `tamis verify --all`: every message read back from the
# case, every signature's facts, repairs for the failures, verdicts written.
#
#   bench/verify.sh [MESSAGES]      (default 20000)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-20000}
work=${BENCH_DIR:-target/bench-verify}
cargo build --release -q -p tamis -p tamis-gen -p mailauth-loop
python3 -c 'import dkim' 2> /dev/null || pip install -q dkimpy
if [[ ! -f $work/.done-$n ]]; then
  rm -rf "$work"
  ./target/release/tamis-gen --out "$work" --messages "$n" --flat
  touch "$work/.done-$n"
fi
keys=$work/keys/dkim-keys.jsonl
rm -rf "$work/bench.case"
./target/release/tamis ingest "$work/flat" --case "$work/bench.case" --keys "$keys" --quiet 2> /dev/null
now() { date +%s.%N; }
t0=$(now)
./target/release/tamis verify --all --case "$work/bench.case" > /dev/null
t1=$(now)
read -r ma_n ma_pass ma_s < <(./target/release/mailauth-loop "$keys" 2 "$work/flat")
read -r ta_n ta_pass ta_s < <(./target/release/mailauth-loop --tamis "$keys" 2 "$work/flat")
read -r py_n py_pass py_s < <(python3 bench/dkimpy_verify.py "$keys" 2 "$work/flat")
tamis_s=$(echo "$t1 - $t0" | bc)
awk -v n="$n" -v t="$tamis_s" -v m="$ma_s" -v mp="$ma_pass" -v p="$py_s" -v pp="$py_pass" -v a="$ta_s" -v ap="$ta_pass" 'BEGIN {
  printf "%d messages\n", n
  printf "tamis verify  : %6.2f s %8.0f msg/s  (full evidence and verdicts)\n", t, n/t
  printf "tamis loop    : %6.2f s %8.0f msg/s  (%d authentic; the verifier alone, same loop as mail-auth)\n", a, n/a, ap
  printf "mail-auth loop: %6.2f s %8.0f msg/s  (%d pass)\n", m, n/m, mp
  printf "dkimpy x2     : %6.2f s %8.0f msg/s  (%d pass)\n", p, n/p, pp
  printf "ratio tamis / mail-auth: %.2f (verifier alone: %.2f)   tamis / dkimpy: %.2f\n", m/t, m/a, p/t
}'
