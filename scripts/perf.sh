#!/usr/bin/env bash
# Measures logcorr analyze end to end on corpora made from the shipped
# capture (10 MB to 1 GB, written once under $LOGCORR_BENCH_DIR, default
# /tmp), side by side with lnav indexing and ripgrep on the same files in
# the same run, and writes the tables into docs/performance.md between its
# "perf:" markers. Linux: it needs GNU time (/usr/bin/time); lnav and rg
# are measured when installed.
#
#   scripts/perf.sh            # all sizes, best of 3 runs each
#   BEFORE=5f6f5b5 scripts/perf.sh   # with that revision's build beside,
#                                    # and the two run in turn (AB_RUNS times)
#   RUNS=1 SIZES="10MB 100MB" scripts/perf.sh --print   # print, do not write the doc
#   BEFORE=eabdc5b SHAPES_ONLY=1 scripts/perf.sh   # only the table of the
#                                    # 100 MB corpus as collectors keep it
set -euo pipefail
cd "$(dirname "$0")/.."

declare -A copies=([10MB]=1 [30MB]=3 [100MB]=11 [300MB]=32 [1GB]=106)
sizes=${SIZES:-"10MB 30MB 100MB 300MB 1GB"}
runs=${RUNS:-3}
root=${LOGCORR_BENCH_DIR:-/tmp}
logs="runserver_8000.err.log django_errors.log auth_debug.log pgbouncer.log"
print_only=false
[ "${1:-}" = "--print" ] && print_only=true

if [ ! -x /usr/bin/time ]; then
  echo "perf.sh needs GNU time at /usr/bin/time (apt-get install time)" >&2
  exit 1
fi
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
go build -o "$bin/logcorr" ./cmd/logcorr
go build -o "$bin/logreplay" ./cmd/logreplay
if [ -n "${BEFORE:-}" ]; then
  git worktree add -q --detach "$bin/before" "$BEFORE"
  (cd "$bin/before" && go build -o "$bin/logcorr-before" ./cmd/logcorr)
  git worktree remove --force "$bin/before"
fi

# corpus SIZE: the folder, written once (the same files the benchmarks use).
corpus() {
  local n=${copies[$1]} dir="$root/logcorr-bench-${copies[$1]}"
  if [ ! -e "$dir.done" ]; then
    mkdir -p "$dir"
    # shellcheck disable=SC2086
    "$bin/logreplay" -copies "$n" testdata/login-storm-psycopg2/logs "$dir" $logs
    touch "$dir.done"
  fi
  echo "$dir"
}

# measure CMD...: best wall time of $runs runs (page cache warm), with that
# run's peak RSS and CPU time: "wall_s rss_kb cpu_s".
measure() {
  local best="" line
  cat "${files[@]}" >/dev/null
  for _ in $(seq "$runs"); do
    line=$(/usr/bin/time -f "%e %M %U %S" "$@" 2>&1 >/dev/null | tail -1)
    read -r wall rss user sys <<<"$line"
    cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN{printf "%.2f", u+s}')
    if [ -z "$best" ] || awk -v a="$wall" -v b="${best%% *}" 'BEGIN{exit !(a<b)}'; then
      best="$wall $rss $cpu"
    fi
  done
  echo "$best"
}

# median: the median of the numbers on stdin, one a line.
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) printf "%.2f", v[(NR + 1) / 2]; else printf "%.2f", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
mbs() { awk -v b="$1" -v s="$2" 'BEGIN{ if (s > 0) printf "%.0f", b/1e6/s; else print "-" }'; }
mb() { awk -v k="$1" 'BEGIN{printf "%.0f", k/1024}'; }

# The 100 MB corpus as collectors keep it (testdata/shapes: Docker,
# journald, syslog, Heroku, one file of several programs), written once;
# with BEFORE, each shape is run by the two builds in turn, AB_RUNS times
# (default 3), medians set side by side.
shapes=""
if [ -n "${SHAPES_ONLY:-}" ] || [ -n "${BEFORE:-}" ]; then
  src=$(corpus 100MB)
  out="$root/logcorr-shapes-${copies[100MB]}"
  if [ ! -e "$out.done" ]; then
    go run ./testdata/shapes/make -logs "$src" -out "$out" >/dev/null
    touch "$out.done"
  fi
  shape_runs=${AB_RUNS:-3}
  shapes="| shape (100 MB corpus) | bytes | s | MB/s | CPU s | peak RSS MB |"
  [ -n "${BEFORE:-}" ] && shapes+=" $BEFORE s | $BEFORE CPU s |"
  shapes+="
|---|---|---|---|---|---|"
  [ -n "${BEFORE:-}" ] && shapes+="---|---|"
  for dir in "$out"/*/; do
    dir=${dir%/}
    files=("$dir"/*)
    cat "${files[@]}" >/dev/null
    bytes=$(cat "${files[@]}" | wc -c)
    : >"$bin/sh.now"
    : >"$bin/sh.before"
    for _ in $(seq "$shape_runs"); do
      for which in now before; do
        exe="$bin/logcorr"
        if [ "$which" = before ]; then
          [ -n "${BEFORE:-}" ] || continue
          exe="$bin/logcorr-before"
        fi
        /usr/bin/time -a -o "$bin/sh.$which" -f "%e %M %U %S" "$exe" analyze --format json "$dir" >/dev/null 2>&1
      done
    done
    w=$(awk '{print $1}' "$bin/sh.now" | median)
    c=$(awk '{print $3 + $4}' "$bin/sh.now" | median)
    rss=$(awk '$2 > m { m = $2 } END { print m }' "$bin/sh.now")
    shapes+="
| $(basename "$dir") | $((bytes / 1000000)) MB | $w | $(mbs "$bytes" "$w") | $c | $(mb "$rss") |"
    if [ -n "${BEFORE:-}" ]; then
      shapes+=" $(awk '{print $1}' "$bin/sh.before" | median) | $(awk '{print $3 + $4}' "$bin/sh.before" | median) |"
    fi
    echo "shape $(basename "$dir"): ${w}s" >&2
  done
fi
doc=docs/performance.md
# write MARK...: each table between its "perf:MARK" markers in the doc
# (PERF_<MARK> in the environment).
write() {
  for m in "$@"; do
    grep -q "<!-- perf:$m -->" "$doc" || { echo "$doc: no perf:$m markers" >&2; exit 1; }
  done
  awk -v marks=" $* " '
    match($0, /<!-- perf:[a-z]+ -->/) {
      m = substr($0, RSTART + 10, RLENGTH - 14)
      if (index(marks, " " m " ")) { print; print ENVIRON["PERF_" toupper(m)]; skip = 1; next }
    }
    /<!-- \/perf:/ { skip = 0 }
    !skip { print }
  ' "$doc" >"$doc.new"
  mv "$doc.new" "$doc"
  echo "wrote $doc" >&2
}
if [ -n "${SHAPES_ONLY:-}" ]; then
  if $print_only; then
    printf '%s\n' "$shapes"
  else
    PERF_SHAPES=$shapes write shapes
  fi
  exit 0
fi

scaling="| corpus | bytes | lines | json: s | json: MB/s | json: peak RSS MB | json: CPU s | text: s | text: MB/s | text: peak RSS MB |
|---|---|---|---|---|---|---|---|---|---|"
peers=""
for size in $sizes; do
  dir=$(corpus "$size")
  files=()
  for l in $logs; do files+=("$dir/$l"); done
  bytes=$(cat "${files[@]}" | wc -c)
  lines=$(cat "${files[@]}" | wc -l)
  read -r jw jr jc <<<"$(measure "$bin/logcorr" analyze --format json "$dir")"
  read -r tw tr _ <<<"$(measure "$bin/logcorr" analyze "$dir")"
  scaling+="
| $size | $bytes | $lines | $jw | $(mbs "$bytes" "$jw") | $(mb "$jr") | $jc | $tw | $(mbs "$bytes" "$tw") | $(mb "$tr") |"
  echo "$size: json ${jw}s ($(mbs "$bytes" "$jw") MB/s, $(mb "$jr") MB), text ${tw}s" >&2
  last_dir=$dir last_bytes=$bytes last_size=$size
done

# Peers on the largest corpus.
files=()
for l in $logs; do files+=("$last_dir/$l"); done
peers="| tool, on the $last_size corpus | what it does | s | MB/s | peak RSS MB | CPU s |
|---|---|---|---|---|---|"
row() {
  read -r w r c <<<"$(measure "${@:3}")"
  peers+="
| $1 | $2 | $w | $(mbs "$last_bytes" "$w") | $(mb "$r") | $c |"
}
row "logcorr analyze --format json" "parse, correlate, chains and verdict" "$bin/logcorr" analyze --format json "$last_dir"
row "logcorr analyze --format json --tz Asia/Jakarta" "the same, zones given: no survey" "$bin/logcorr" analyze --format json --tz Asia/Jakarta "$last_dir"
row "logcorr analyze (text)" "the same as the first, as text" "$bin/logcorr" analyze "$last_dir"
if [ -n "${BEFORE:-}" ]; then
  row "logcorr at $BEFORE, --format json" "the same, before this work" "$bin/logcorr-before" analyze --format json "$last_dir"
fi

# This VM's speed drifts by a quarter from minute to minute, more than the
# best of three irons out: the build and the one before are also run in
# turn, AB_RUNS times each, and their medians set side by side.
ab=""
if [ -n "${BEFORE:-}" ]; then
  ab_runs=${AB_RUNS:-8}
  ab="| on the $last_size corpus, $ab_runs runs each in turn | median s | fastest s | median MB/s | median CPU s | peak RSS MB |
|---|---|---|---|---|---|"
  for tz in "" "--tz Asia/Jakarta"; do
    : >"$bin/ab.now"
    : >"$bin/ab.before"
    for _ in $(seq "$ab_runs"); do
      for which in now before; do
        exe="$bin/logcorr"
        [ "$which" = before ] && exe="$bin/logcorr-before"
        # shellcheck disable=SC2086
        /usr/bin/time -a -o "$bin/ab.$which" -f "%e %M %U %S" "$exe" analyze --format json $tz "$last_dir" >/dev/null 2>&1
      done
    done
    for which in now before; do
      label="logcorr analyze --format json${tz:+ $tz}"
      [ "$which" = before ] && label="logcorr at $BEFORE, the same"
      f="$bin/ab.$which"
      mw=$(awk '{print $1}' "$f" | median)
      fw=$(awk '{print $1}' "$f" | sort -n | head -1)
      mc=$(awk '{print $3 + $4}' "$f" | median)
      rss=$(awk '$2 > m { m = $2 } END { print m }' "$f")
      ab+="
| $label | $mw | $fw | $(mbs "$last_bytes" "$mw") | $mc | $(mb "$rss") |"
    done
  done
fi
if command -v lnav >/dev/null; then
  row "lnav $(lnav -V | awk '{print $2}') -n" "index the files, count the lines (no correlation)" lnav -n -q -c ';SELECT count(*) FROM all_logs' "${files[@]}"
fi
if command -v rg >/dev/null; then
  row "rg $(rg --version | head -1 | awk '{print $2}') -c query_wait_timeout" "count one string's lines" rg -c query_wait_timeout "${files[@]}"
fi
row "wc -l" "count lines" wc -l "${files[@]}"

machine="$(nproc) cores, $(awk -F': ' '/model name/{print $2; exit}' /proc/cpuinfo), $(go version | awk '{print $3}'), $(date -u +%Y-%m-%d)"
if $print_only; then
  printf '%s\n\n%s\n\n%s\n\n%s\n\n%s\n' "$machine" "$peers" "$ab" "$scaling" "$shapes"
  exit 0
fi
marks="machine peers scaling"
[ -n "$ab" ] && marks+=" ab"
[ -n "$shapes" ] && marks+=" shapes"
# shellcheck disable=SC2086
PERF_MACHINE=$machine PERF_PEERS=$peers PERF_SCALING=$scaling PERF_AB=$ab PERF_SHAPES=$shapes write $marks
