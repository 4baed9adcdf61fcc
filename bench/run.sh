#!/bin/sh
# run.sh: benchmarks coopstat against DuckDB, Polars, SQLite and plain Lua,
# side by side in one run, on one core, and prints the ratios.
#   sh bench/run.sh                 (make bench; BENCH_ROWS, BENCH_REPEAT)
# Each figure is the median wall time of BENCH_REPEAT runs less the
# tool's own start-up time (the same command doing nothing).  Peers come
# from the npm registry into bench/node_modules (pinned in package.json).
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 1
BUILD=${BUILD:-build}
ROWS=${BENCH_ROWS:-10000000}
REPEAT=${BENCH_REPEAT:-3}
data=bench/data/orgs_$ROWS.csv
export POLARS_MAX_THREADS=1

if [ ! -f "$data" ]; then
    mkdir -p bench/data
    echo "generating $data ..."
    lua5.4 bench/gen_csv.lua "$ROWS" "$data.tmp" && mv "$data.tmp" "$data" || exit 1
fi
peers=1
if [ ! -d bench/node_modules/@duckdb ] || [ ! -d bench/node_modules/nodejs-polars ]; then
    if command -v npm >/dev/null 2>&1; then
        (cd bench && npm install --no-audit --no-fund --silent) || peers=0
    else
        peers=0
    fi
fi
[ "$peers" = 1 ] || echo "note: DuckDB and Polars unavailable (needs node and npm)"

now() { date +%s.%N; }
# median_time CMD...: median wall seconds of REPEAT runs of CMD.
median_time() {
    i=0
    : >"$tmpf"
    while [ "$i" -lt "$REPEAT" ]; do
        t0=$(now)
        "$@" >/dev/null 2>"$tmpe" || { cat "$tmpe" >&2; echo "failed: $*" >&2; echo NaN; return; }
        t1=$(now)
        awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f\n", b - a }' >>"$tmpf"
        i=$((i + 1))
    done
    sort -n "$tmpf" | awk '{ a[NR] = $1 } END { printf "%.3f\n", a[int((NR + 1) / 2)] }'
}
tmpf=$(mktemp); tmpe=$(mktemp)
trap 'rm -f "$tmpf" "$tmpe"' EXIT

# bench NAME WORKLOAD-CMD... -- NOOP-CMD...
results=""
bench() {
    name=$1; shift
    work=""; noop=""; side=work
    for a in "$@"; do
        if [ "$a" = "--" ]; then side=noop; continue; fi
        if [ $side = work ]; then work="$work '$a'"; else noop="$noop '$a'"; fi
    done
    tw=$(eval median_time "$work")
    tn=$(eval median_time "$noop")
    t=$(awk -v a="$tw" -v b="$tn" 'BEGIN { printf "%.3f", a - b }')
    printf '  %-10s %8s s\n' "$name" "$t"
    results="$results$name $t
"
}

echo "== csv_read: $ROWS rows, $(du -h "$data" | cut -f1), one core, median of $REPEAT"
bench coopstat "$BUILD/coopstat" run bench/coopstat_csv_read.lua "$data" -- \
    "$BUILD/coopstat" run bench/coopstat_csv_read.lua
if [ "$peers" = 1 ]; then
    bench duckdb node bench/peers/duckdb.mjs csv_read "$data" -- node bench/peers/duckdb.mjs noop
    bench polars node bench/peers/polars.mjs csv_read "$data" -- node bench/peers/polars.mjs noop
fi
bench sqlite3 sqlite3 :memory: ".import --csv $data t" "select count(*) from t" -- \
    sqlite3 :memory: "select 1"
bench lua lua5.4 bench/peers/csv_read.lua "$data" -- lua5.4 bench/peers/csv_read.lua

base=$(echo "$results" | awk '$1 == "coopstat" { print $2 }')
echo "ratios (peer time / coopstat time; above 1 means coopstat is faster):"
echo "$results" | awk -v b="$base" 'NF == 2 && $1 != "coopstat" { printf "  %-10s %6.2f\n", $1, $2 / b }'
