#!/usr/bin/env bash
# The workbench under load: 20 concurrent clients (wrk, 2 threads) for 20 s
# on search pages (the 30 queries of bench/search-queries.txt, with facets
# and snippets, both sorts) and on message pages (200 messages), against a
# case of MESSAGES messages (default 100000; made by tamis-gen and ingested
# once, shared with bench/search.sh). Prints p50/p95/p99 per page kind.
#
#   bench/web.sh [MESSAGES]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-100000}
work=${BENCH_DIR:-target/bench-search}/n$n
cargo build --release -q -p tamis -p tamis-gen
command -v wrk > /dev/null || { sudo=""; [[ $(id -u) -ne 0 ]] && sudo="sudo"; $sudo apt-get install -y -qq wrk > /dev/null; }
tamis=./target/release/tamis
if [[ ! -f $work/.done ]]; then
  rm -rf "$work"
  ./target/release/tamis-gen --out "$work" --messages "$n" --flat
  $tamis ingest "$work/flat" --case "$work/bench.case" --keys "$work/keys/dkim-keys.jsonl" --quiet 2> "$work/ingest.log"
  touch "$work/.done"
fi
urlencode() { python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1]))' "$1"; }
grep -v '^#' bench/search-queries.txt | grep . | while read -r q; do
  e=$(urlencode "$q")
  echo "/search?q=$e"
  echo "/search?q=$e&sort=relevance"
done > "$work/search-paths"
$tamis search --case "$work/bench.case" --json --limit 200 --sort relevance -- budget \
  | python3 -c 'import json, sys; [print("/m/" + h["message"]) for h in json.load(sys.stdin)["hits"]]' > "$work/message-paths"
port=18080
$tamis serve --case "$work/bench.case" --bind "127.0.0.1:$port" > /dev/null &
server=$!
trap 'kill $server' EXIT
for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.2; done
echo "$n messages, 20 clients, 20 s each"
printf 'search pages : '
PATHS=$work/search-paths wrk -t2 -c20 -d20s -s bench/web.lua "http://127.0.0.1:$port" | tail -1
printf 'message pages: '
PATHS=$work/message-paths wrk -t2 -c20 -d20s -s bench/web.lua "http://127.0.0.1:$port" | tail -1
