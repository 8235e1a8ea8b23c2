#!/usr/bin/env bash
# Search: index build rate against notmuch and mu on the same messages (one
# run, as ratios), peak memory of the build at two corpus sizes, and query
# latency over bench/search-queries.txt (30 queries of every kind).
#
#   bench/search.sh [MESSAGES] [LATENCY_MESSAGES]   (defaults 20000, 100000)
#
# tamis is timed on `tamis index --rebuild`: every message read back from
# the case, parsed, its text and its documents' text indexed with verdicts,
# findings, threads and sources. notmuch (`notmuch new`) and mu (`mu index`)
# index the same messages as a Maildir (hard links to the same files).
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-20000}
big=${2:-100000}
work=${BENCH_DIR:-target/bench-search}
cargo build --release -q -p tamis -p tamis-gen -p search-latency
if ! command -v notmuch > /dev/null || ! command -v mu > /dev/null; then
  sudo=""
  [[ $(id -u) -ne 0 ]] && sudo="sudo"
  $sudo apt-get install -y -qq notmuch maildir-utils > /dev/null
fi
now() { date +%s.%N; }
tamis=./target/release/tamis

# A flat dump of COUNT messages and its case (ingest is not timed here).
prepare() {
  local dir=$1 count=$2
  if [[ ! -f $dir/.done ]]; then
    rm -rf "$dir"
    ./target/release/tamis-gen --out "$dir" --messages "$count" --flat
    $tamis ingest "$dir/flat" --case "$dir/bench.case" --keys "$dir/keys/dkim-keys.jsonl" --quiet 2> "$dir/ingest.log"
    touch "$dir/.done"
  fi
}

small=$work/n$n
prepare "$small" "$n"
maildir=$small/maildir
if [[ ! -d $maildir/cur ]]; then
  mkdir -p "$maildir"/{cur,new,tmp}
  ln -f "$small"/flat/*.eml "$maildir/cur/"
fi
find "$small/flat" -type f -print0 | xargs -0 cat > /dev/null

# tamis
/usr/bin/time -f %M -o "$small/rss" $tamis index --rebuild --case "$small/bench.case" > /dev/null
t0=$(now)
$tamis index --rebuild --case "$small/bench.case" > /dev/null
t1=$(now)

# notmuch
export NOTMUCH_CONFIG=$small/notmuch-config
printf '[database]\npath=%s\n[new]\ntags=\n[maildir]\nsynchronize_flags=false\n' "$(realpath "$maildir")" > "$NOTMUCH_CONFIG"
rm -rf "$maildir/.notmuch"
t2=$(now)
notmuch new --quiet > /dev/null 2>&1
t3=$(now)

# mu
rm -rf "$small/mu"
mu init --maildir="$(realpath "$maildir")" --muhome="$small/mu" > /dev/null
t4=$(now)
mu index --muhome="$small/mu" --quiet > /dev/null 2>&1
t5=$(now)

awk -v n="$n" -v t="$(echo "$t1 - $t0" | bc)" -v nm="$(echo "$t3 - $t2" | bc)" -v mu="$(echo "$t5 - $t4" | bc)" 'BEGIN {
  printf "%d messages\n", n
  printf "tamis index  : %6.2f s %8.0f msg/s\n", t, n/t
  printf "notmuch new  : %6.2f s %8.0f msg/s\n", nm, n/nm
  printf "mu index     : %6.2f s %8.0f msg/s\n", mu, n/mu
  printf "ratio tamis / mu: %.1f   tamis / notmuch: %.1f\n", mu/t, nm/t
}'
grep -h "^time:" "$small/ingest.log" | sed 's/^/ingest /' || true

# Query latency, and the build's memory at the larger size.
large=$work/n$big
prepare "$large" "$big"
/usr/bin/time -f %M -o "$large/rss" $tamis index --rebuild --case "$large/bench.case" > /dev/null
echo "peak RSS of index --rebuild: $(($(cat "$small/rss") / 1024)) MB at $n messages, $(($(cat "$large/rss") / 1024)) MB at $big"
./target/release/search-latency "$large/bench.case" bench/search-queries.txt 20
