#!/usr/bin/env bash
# Verification throughput against two peers, on the same messages, in one run:
#   - dkimpy (2 processes): what most newsrooms would reach for;
#   - a bare mail-auth loop (2 threads, bench/mailauth-loop): plain
#     pass/fail verification in Rust, keys from a cache, no evidence, each
#     message read from its file as it is verified.
# tamis is timed twice:
#   - `tamis verify --all` on a case ingested with the keys: every message
#     read back from the case's packs and judged again (every signature's
#     facts, repairs for the failures, the verdict and its evidence), the
#     evidence compared with what the case holds (nothing changed here, so
#     nothing is written);
#   - `tamis keys import` on a case ingested without them: the same
#     judgement, and every signed message's verdict written anew (and the
#     search index brought up to date with them).
# The verifiers are also compared alone, on messages already in memory.
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
rm -rf "$work/bench.case" "$work/nokeys.case"
./target/release/tamis ingest "$work/flat" --case "$work/bench.case" --keys "$keys" --quiet 2> /dev/null
./target/release/tamis ingest "$work/flat" --case "$work/nokeys.case" --quiet 2> /dev/null
now() { date +%s.%N; }
t0=$(now)
./target/release/tamis verify --all --case "$work/bench.case" > /dev/null
t1=$(now)
./target/release/tamis keys import "$keys" --case "$work/nokeys.case" > /dev/null
t2=$(now)
loop=./target/release/mailauth-loop
read -r _ ma_pass ma_s < <($loop "$keys" 2 "$work/flat")
read -r _ ta_pass ta_s < <($loop --tamis "$keys" 2 "$work/flat")
read -r _ _ mam_s < <($loop --in-memory "$keys" 2 "$work/flat")
read -r _ _ tam_s < <($loop --tamis --in-memory "$keys" 2 "$work/flat")
read -r _ py_pass py_s < <(python3 bench/dkimpy_verify.py "$keys" 2 "$work/flat")
awk -v n="$n" -v t="$(echo "$t1 - $t0" | bc)" -v k="$(echo "$t2 - $t1" | bc)" \
  -v m="$ma_s" -v mp="$ma_pass" -v a="$ta_s" -v ap="$ta_pass" \
  -v mm="$mam_s" -v am="$tam_s" -v p="$py_s" -v pp="$py_pass" 'BEGIN {
  printf "%d messages\n", n
  printf "tamis verify --all   : %6.2f s %8.0f msg/s  (from the case, full evidence, compared with the stored)\n", t, n/t
  printf "tamis keys import    : %6.2f s %8.0f msg/s  (the same, every signed verdict written, index refreshed)\n", k, n/k
  printf "mail-auth loop       : %6.2f s %8.0f msg/s  (%d pass; reads each file)\n", m, n/m, mp
  printf "tamis verifier loop  : %6.2f s %8.0f msg/s  (%d authentic; the same loop, tamis_verify::assess)\n", a, n/a, ap
  printf "dkimpy x2            : %6.2f s %8.0f msg/s  (%d pass)\n", p, n/p, pp
  printf "in memory            : mail-auth %.2f s, tamis %.2f s\n", mm, am
  printf "ratio tamis / mail-auth: verify --all %.2f, keys import %.2f, verifier loop %.2f, in memory %.2f\n", m/t, m/k, m/a, mm/am
  printf "ratio tamis / dkimpy   : verify --all %.2f\n", p/t
}'
