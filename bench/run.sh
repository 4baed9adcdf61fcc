#!/bin/sh
# run.sh: benchmarks coopstat against DuckDB, Polars, SQLite and plain Lua,
# side by side in one run, and writes the table into bench/README.md.
#   sh bench/run.sh                 (make bench)
# Settings (environment):
#   BENCH_ROWS          rows of the generated file (default 10000000)
#   BENCH_REPEAT        runs of each query, the median is kept (default 3)
#   BENCH_SLOW_REPEAT   the same for SQLite and plain Lua (default: BENCH_REPEAT
#                       up to 2M rows, 1 above)
#   BENCH_ENGINES       engines to run (default all): coopstat duckdb-1 duckdb-2
#                       polars-1 polars-2 sqlite lua (a subset re-runs only
#                       those and reports with the others' last results)
#   BENCH_README=0      do not write bench/README.md
# Each engine is one process: it loads the CSV (timed once, "load"), then
# runs Q1..Q5 (bench/README.md), each timed inside the process, and writes
# its answers; bench/report.lua checks that all engines answer alike, then
# prints the table.  Peak memory is GNU time's %M around each process.
# Peers come from the npm registry into bench/node_modules (pinned in
# bench/package.json); one that cannot be installed is skipped.
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 1
BUILD=${BUILD:-build}
ROWS=${BENCH_ROWS:-10000000}
REPEAT=${BENCH_REPEAT:-3}
if [ "$ROWS" -le 2000000 ]; then SLOW=${BENCH_SLOW_REPEAT:-$REPEAT}; else SLOW=${BENCH_SLOW_REPEAT:-1}; fi
ALL="coopstat duckdb-1 duckdb-2 polars-1 polars-2 sqlite lua"
ENGINES=${BENCH_ENGINES:-$ALL}
data=bench/data/reports_$ROWS.csv
out=bench/data/run_$ROWS

if [ ! -f "$data" ] || [ ! -f "$data.meta" ]; then
    mkdir -p bench/data
    echo "generating $data ..."
    lua5.4 bench/gen_reports.lua "$ROWS" "$data.tmp" && mv "$data.tmp" "$data" || exit 1
fi

# Peers from npm.
duckdb=1; polars=1
if [ ! -d bench/node_modules/@duckdb/node-api ] || [ ! -d bench/node_modules/nodejs-polars ] \
   || [ ! -d bench/node_modules/nodejs-polars-linux-x64-gnu ]; then
    if command -v npm >/dev/null 2>&1; then
        (cd bench && npm install --no-audit --no-fund --silent) ||
            echo "note: npm install failed; peers that are missing are skipped"
    fi
fi
if ! command -v node >/dev/null 2>&1; then
    echo "note: node not found: DuckDB and Polars skipped"; duckdb=0; polars=0
fi
[ -d bench/node_modules/@duckdb/node-api ] || { [ "$duckdb" = 0 ] ||
    echo "note: @duckdb/node-api not installed (needs npm): DuckDB skipped"; duckdb=0; }
{ [ -d bench/node_modules/nodejs-polars ] && [ -d bench/node_modules/nodejs-polars-linux-x64-gnu ]; } ||
    { [ "$polars" = 0 ] || echo "note: nodejs-polars not installed (needs npm): Polars skipped"; polars=0; }
sqlite=1
command -v sqlite3 >/dev/null 2>&1 || { echo "note: sqlite3 not found: SQLite skipped"; sqlite=0; }
timer=""
[ -x /usr/bin/time ] && timer=/usr/bin/time

mkdir -p "$out"
[ "$ENGINES" = "$ALL" ] && rm -f "$out"/*
echo "== $ROWS rows ($(($(stat -c %s "$data") / 1000000)) MB), median of $REPEAT runs ($SLOW for SQLite and Lua)"
date -u '+%Y-%m-%d %H:%M UTC' >"$out/date"
uptime | sed 's/.*load average/load average/' >"$out/load"

# engine NAME CMD...: runs one engine process; its times go to NAME.times,
# its raw answers to NAME.raw, its peak memory (KB) to NAME.mem.
engine() {
    name=$1; shift
    case " $ENGINES " in *" $name "*) ;; *) return ;; esac
    rm -f "$out/$name".*
    printf '  %-9s ' "$name"
    if [ -n "$timer" ]; then
        "$timer" -f %M -o "$out/$name.mem" "$@" "$out/$name.raw" >"$out/$name.times" 2>"$out/$name.err"
    else
        "$@" "$out/$name.raw" >"$out/$name.times" 2>"$out/$name.err"
    fi
    rc=$?
    if [ "$rc" != 0 ]; then
        echo "failed (exit $rc):"; tail -5 "$out/$name.err" | sed 's/^/    /'
        mv "$out/$name.times" "$out/$name.failed"
        return
    fi
    tr '\n' ' ' <"$out/$name.times"; echo
}

if [ -x "$BUILD/coopstat" ]; then
    engine coopstat "$BUILD/coopstat" run bench/coopstat_queries.lua "$data" "$REPEAT"
else
    echo "note: $BUILD/coopstat not built: coopstat skipped"
fi
if [ "$duckdb" = 1 ]; then
    engine duckdb-1 node bench/peers/duckdb.mjs "$data" 1 "$REPEAT"
    engine duckdb-2 node bench/peers/duckdb.mjs "$data" 2 "$REPEAT"
fi
if [ "$polars" = 1 ]; then
    engine polars-1 env POLARS_MAX_THREADS=1 node bench/peers/polars.mjs "$data" "$REPEAT"
    engine polars-2 env POLARS_MAX_THREADS=2 node bench/peers/polars.mjs "$data" "$REPEAT"
fi
[ "$sqlite" = 1 ] && engine sqlite lua5.4 bench/peers/sqlite.lua "$data" "$SLOW"
engine lua lua5.4 bench/peers/queries.lua "$data" "$SLOW"

write=1
[ "${BENCH_README:-1}" = 0 ] && write=0
lua5.4 bench/report.lua "$out" "$data" "$REPEAT" "$SLOW" "$write"
