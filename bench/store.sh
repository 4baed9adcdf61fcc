#!/bin/sh
# store.sh: the store's speed against SQLite's own, in one run, written
# into bench/README.md between "<!-- store:begin -->" and
# "<!-- store:end -->" (sh bench/store.sh; make bench runs it).
#   import: `coopstat import FILE --table reports` (read, types inferred,
#           written in one transaction with its columnar copy) against
#           the sqlite3 shell's `.import --csv FILE reports` into a new
#           file (text columns, no types);
#   read:   db:read of the stored table (every column; three columns)
#           against cs.read_csv of the CSV (bench/store_read.lua).
# Settings: BENCH_ROWS (default 10000000), BENCH_REPEAT (default 3),
# BENCH_README=0 to print only.  The CSV is the one bench/run.sh uses.
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 1
BUILD=${BUILD:-build}
ROWS=${BENCH_ROWS:-10000000}
REPEAT=${BENCH_REPEAT:-3}
data=bench/data/reports_$ROWS.csv
tmp=$(mktemp -d "${TMPDIR:-/tmp}/coopstat-store-bench.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM

if [ ! -f "$data" ]; then
    mkdir -p bench/data
    echo "generating $data ..."
    lua5.4 bench/gen_reports.lua "$ROWS" "$data.tmp" && mv "$data.tmp" "$data" || exit 1
fi
command -v sqlite3 >/dev/null 2>&1 || { echo "note: sqlite3 not found: store bench skipped"; exit 0; }

now() { date +%s.%N; }
echo "== store: $ROWS rows"
t0=$(now)
sqlite3 "$tmp/sqlite.db" ".import --csv $data reports" || exit 1
t1=$(now)
"$BUILD/coopstat" import "$data" --table reports --db "$tmp/coopstat.db" 2>/dev/null || exit 1
t2=$(now)
"$BUILD/coopstat" run bench/store_read.lua "$tmp/coopstat.db" "$data" "$REPEAT" >"$tmp/read" || exit 1
sq=$(awk "BEGIN { print $t1 - $t0 }")
cs=$(awk "BEGIN { print $t2 - $t1 }")
csv=$(awk '$1 == "read_csv" { print $2 }' "$tmp/read")
all=$(awk '$1 == "db_read_all" { print $2 }' "$tmp/read")
three=$(awk '$1 == "db_read_3" { print $2 }' "$tmp/read")
size_sq=$(($(stat -c %s "$tmp/sqlite.db") / 1000000))
size_cs=$(($(stat -c %s "$tmp/coopstat.db") / 1000000))

block=$(cat <<EOT
<!-- store:begin -->
### The store, $ROWS rows, $(date -u '+%Y-%m-%d %H:%M UTC')

\`sh bench/store.sh\` (BENCH_ROWS=$ROWS, median of $REPEAT reads), coopstat $(git describe --always --dirty 2>/dev/null || echo '?'), sqlite3 $(sqlite3 --version | cut -d' ' -f1).

| | seconds | against | ratio | goal |
|---|---:|---|---:|---|
| \`coopstat import\` (types, one transaction, columnar copy) | $(printf '%.2f' "$cs") | \`sqlite3 .import\` $(printf '%.2f' "$sq") s | $(awk "BEGIN { printf \"%.2f\", $cs / $sq }") | at most 2 |
| \`db:read\`, every column | $(printf '%.3f' "$all") | \`cs.read_csv\` $(printf '%.2f' "$csv") s | $(awk "BEGIN { printf \"%.2f\", $all / $csv }") | at most 1 |
| \`db:read\`, three columns | $(printf '%.3f' "$three") | \`cs.read_csv\` | $(awk "BEGIN { printf \"%.2f\", $three / $csv }") | |

File sizes: coopstat store ${size_cs} MB (the table and its columnar copy), sqlite3 ${size_sq} MB.
<!-- store:end -->
EOT
)
echo "$block"
[ "${BENCH_README:-1}" = 0 ] && exit 0
lua5.4 - "$block" <<'EOL'
local block = arg[1]
local f = assert(io.open("bench/README.md", "rb")); local s = f:read("a"); f:close()
local b, e = s:find("<!%-%- store:begin %-%->.-<!%-%- store:end %-%->")
if b then s = s:sub(1, b - 1) .. block .. s:sub(e + 1)
else
  local at = s:find("\n## History") or #s + 1
  s = s:sub(1, at - 1) .. "\n" .. block .. "\n" .. s:sub(at)
end
f = assert(io.open("bench/README.md", "wb")); f:write(s); f:close()
print("(written to bench/README.md)")
EOL
