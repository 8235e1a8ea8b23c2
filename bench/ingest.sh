#!/usr/bin/env bash
# Ingest throughput against the physical limit, measured in the same run.
#
#   bench/ingest.sh [MESSAGES]      (default 20000 distinct messages)
#
# Writes a dump with tamis-gen, then times, on the same bytes with a warm
# page cache: `sha256sum` over every file with 2 processes (reading and
# hashing every byte once: the floor any evidence-preserving ingest pays),
# and `tamis ingest` into a fresh case. Prints both rates and their ratio.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-20000}
work=${BENCH_DIR:-target/bench-ingest}
cargo build --release -q -p tamis -p tamis-gen
if [[ ! -f $work/.done-$n ]]; then
  rm -rf "$work"
  ./target/release/tamis-gen --out "$work" --messages "$n"
  touch "$work/.done-$n"
fi
dump=$work/dump
bytes=$(find "$dump" -type f -printf '%s\n' | awk '{s+=$1} END {print s}')
files=$(find "$dump" -type f | wc -l)
now() { date +%s.%N; }

# Warm the cache, then measure the limit.
find "$dump" -type f -print0 | xargs -0 cat > /dev/null
t0=$(now)
find "$dump" -type f -print0 | xargs -0 -n 64 -P 2 sha256sum > /dev/null
t1=$(now)
# A second floor: decoding the 7z archives at all (LZMA is serial within a
# solid block). Measured with 7-Zip itself when it is installed.
sevenz=0
if command -v 7z > /dev/null && compgen -G "$dump/archives/*.7z" > /dev/null; then
  ta=$(now)
  for a in "$dump"/archives/*.7z; do 7z t "$a" > /dev/null; done
  sevenz=$(echo "$(now) - $ta" | bc)
fi
rm -rf "$work/bench.case"
t2=$(now)
/usr/bin/time -f %M -o "$work/rss" ./target/release/tamis ingest "$dump" --case "$work/bench.case" --quiet 2> "$work/ingest.log" || true
t3=$(now)
copies=$(./target/release/tamis status --case "$work/bench.case" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["occurrences"])')

rss=$(tail -1 "$work/rss")
# The phases as ingest reports them: reading, verification, forensics.
read -r p_read p_verify p_forensics < <(sed -n 's/^time: reading \([0-9.]*\) s, verification \([0-9.]*\) s, forensics \([0-9.]*\) s/\1 \2 \3/p' "$work/ingest.log")
awk -v pr="$p_read" -v pv="$p_verify" -v pf="$p_forensics" -v r="$rss" -v b="$bytes" -v f="$files" -v c="$copies" -v z="$sevenz" -v s="$(echo "$t1 - $t0" | bc)" -v t="$(echo "$t3 - $t2" | bc)" 'BEGIN {
  printf "dump: %d files, %.1f MB on disk, %d message copies\n", f, b/1e6, c
  printf "sha256sum x2 : %6.2f s  %8.1f MB/s\n", s, b/1e6/s
  printf "tamis ingest : %6.2f s  %8.1f MB/s  %8.0f msg/s  peak RSS %d MB\n", t, b/1e6/t, c/t, r/1024
  if (z > 0) printf "7z t (7z only): %6.2f s  (decoding them at all takes this long, on one core)\n", z
  printf "  of which    : reading %.2f s, verification %.2f s, forensics %.2f s (%.0f%% of ingest)\n", pr, pv, pf, 100*pf/t
  printf "ratio (tamis / sha256sum): %.2f\n", s/t
  if (z > s) printf "ratio (tamis / max(sha256sum, 7z t)): %.2f\n", z/t
}'
