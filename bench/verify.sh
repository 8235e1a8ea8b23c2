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
# tamis is timed whole (process start to exit); the mail-auth loop both by
# its own clock, which leaves out its start (walking the directory, loading
# the keys; the comparison then leans its way), and whole, as tamis is.
#
#   bench/verify.sh [MESSAGES]      (default 20000; ROUNDS=7)
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
# Machines here are shared and noisy: the verifiers are timed in ROUNDS
# interleaved rounds (tamis, then each peer, then again), and each ratio is
# the median of the rounds' ratios.
rounds=${ROUNDS:-7}
loop=./target/release/mailauth-loop
results=$work/rounds.txt
: > "$results"
for _ in $(seq "$rounds"); do
  t0=$(now)
  ./target/release/tamis verify --all --case "$work/bench.case" > /dev/null
  t1=$(now)
  t2=$(now)
  read -r _ ma_pass ma_s < <($loop "$keys" 2 "$work/flat")
  t3=$(now)
  read -r _ ta_pass ta_s < <($loop --tamis "$keys" 2 "$work/flat")
  read -r _ _ mam_s < <($loop --in-memory "$keys" 2 "$work/flat")
  read -r _ _ tam_s < <($loop --tamis --in-memory "$keys" 2 "$work/flat")
  echo "$(echo "$t1 - $t0" | bc) $ma_s $ta_s $mam_s $tam_s $ma_pass $ta_pass $(echo "$t3 - $t2" | bc)" >> "$results"
done
t0=$(now)
./target/release/tamis keys import "$keys" --case "$work/nokeys.case" > /dev/null
t1=$(now)
read -r _ py_pass py_s < <(python3 bench/dkimpy_verify.py "$keys" 2 "$work/flat")
python3 - "$n" "$results" "$(echo "$t1 - $t0" | bc)" "$py_s" "$py_pass" <<'PY'
import statistics as st, sys
n, path, keys_import, py_s, py_pass = int(sys.argv[1]), sys.argv[2], float(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
rows = [[float(x) for x in line.split()] for line in open(path)]
col = lambda i: [r[i] for r in rows]
med = lambda i: st.median(col(i))
ratio = lambda peer, ours: st.median([r[peer] / r[ours] for r in rows])
verify, ma, ta, mam, tam = (med(i) for i in range(5))
ma_whole = med(7)
print(f"{n} messages, {len(rows)} rounds (medians)")
print(f"tamis verify --all   : {verify:6.2f} s {n/verify:8.0f} msg/s  (from the case, full evidence, compared with the stored)")
print(f"tamis keys import    : {keys_import:6.2f} s {n/keys_import:8.0f} msg/s  (once: every signed verdict written, index refreshed)")
print(f"mail-auth loop       : {ma:6.2f} s {n/ma:8.0f} msg/s  ({int(rows[0][5])} pass; reads each file; its own clock, without its start)")
print(f"mail-auth loop whole : {ma_whole:6.2f} s {n/ma_whole:8.0f} msg/s  (the same run, process start to exit, as tamis is timed)")
print(f"tamis verifier loop  : {ta:6.2f} s {n/ta:8.0f} msg/s  ({int(rows[0][6])} authentic; the same loop, tamis_verify::assess)")
print(f"dkimpy x2            : {py_s:6.2f} s {n/py_s:8.0f} msg/s  (once; {py_pass} pass)")
print(f"in memory            : mail-auth {mam:.2f} s, tamis {tam:.2f} s")
print(f"ratio tamis / mail-auth (median of rounds): verify --all {ratio(1, 0):.2f} "
      f"(rounds {min(r[1]/r[0] for r in rows):.2f}..{max(r[1]/r[0] for r in rows):.2f}; "
      f"both timed whole: {ratio(7, 0):.2f}, rounds {min(r[7]/r[0] for r in rows):.2f}..{max(r[7]/r[0] for r in rows):.2f}), "
      f"verifier loop {ratio(1, 2):.2f}, in memory {ratio(3, 4):.2f}; keys import {ma/keys_import:.2f}")
print(f"ratio tamis / dkimpy   : verify --all {py_s/verify:.2f}")
PY
