#!/bin/sh
# test_diskfull.sh: write failures, as on a full disk.  A file-size limit
# (ulimit -f, with SIGXFSZ ignored so that write() fails with EFBIG)
# makes every write past it fail: CSV export, the store (an import), the
# report and the indicator export must each give a clear error, a
# non-zero exit, leave no partial file under the final name and no
# temporary file, and leave the store as it was.
#   BUILD=build sh tests/test_diskfull.sh

CHECKS_NAME=diskfull
. "$(dirname "$0")/checks.sh"
require_exe test_diskfull

db=$tmp/d.db
run --db "$db" init --sample
run --db "$db" indicators run --period 2023H1
awk 'BEGIN { print "id,name,amount"; for (i = 1; i <= 200000; i++) printf "%d,org %d,%d\n", i, i, i * 3 }' >"$tmp/big.csv"
before=$("$EXE" sql --db "$db" --csv "select count(*) from sqlite_schema" | tail -n 1)

# limited BLOCKS COMMAND...: runs COMMAND with files limited to BLOCKS
# blocks of 512 bytes (as run does: $tmp/out, $tmp/err, $rc).
limited() {
    blocks=$1
    shift
    (trap '' XFSZ; ulimit -f "$blocks"; exec "$@") >"$tmp/out" 2>"$tmp/err"
    rc=$?
}

# nothing_left NAME FILE: neither FILE nor FILE.tmp* exists.
nothing_left() {
    set -- "$1" "$2" "$2".tmp*
    if [ -e "$2" ]; then notok "$1 (left $2)"; return; fi
    if [ -e "$3" ]; then notok "$1 (left $3)"; return; fi
    ok "$1"
}

# CSV export from a script.
printf 'local cs = require("coopstat")\ncs.read_csv(arg[1]):write_csv(arg[2])\n' >"$tmp/export.lua"
limited 200 "$EXE" run "$tmp/export.lua" "$tmp/big.csv" "$tmp/out.csv"
expect "CSV export on a full disk: an error naming the file" 1 err "out.csv"
nothing_left "CSV export: no partial file, no temporary file" "$tmp/out.csv"

# The store: an import larger than the limit.
limited 2000 "$EXE" import "$tmp/big.csv" --table big --db "$db"
if [ "$rc" -ne 0 ] && [ -s "$tmp/err" ]; then ok "import on a full disk: status $rc and an error"; else notok "import on a full disk fails"; fi
grep -q "big.csv" "$tmp/err" && ok "import on a full disk: the error names the file" || notok "import error names the file"
run sql --db "$db" --csv "select count(*) from sqlite_schema"
check "the store is as before the failed import" test "$(tail -n 1 "$tmp/out")" = "$before"
run sql --db "$db" "pragma integrity_check"
expect "and passes integrity_check" 0 out "ok"

# The report and the indicator export.  The store itself needs its 32 KB
# shared-memory file to open, so the limit is 64 blocks (32 KB): less than
# the HTML (about 80 KB), the Markdown (about 38 KB) and the JSON export
# (about 56 KB).
for f in html md; do
    limited 64 "$EXE" report --period 2023H1 --out "$tmp/r.$f" --db "$db"
    expect "report .$f on a full disk: status 1 and the file named" 1 err "r.$f"
    nothing_left "report .$f: no partial file, no temporary file" "$tmp/r.$f"
done
limited 64 "$EXE" indicators export --period 2023H1 --format json --out "$tmp/values.json" --db "$db"
expect "indicator export on a full disk: status 1 and the file named" 1 err "values.json"
nothing_left "indicator export: no partial file" "$tmp/values.json"
# The XLSX writer (libxlsxwriter) on a full disk: a sheet larger than the limit.
cat >"$tmp/xlsx.lua" <<'EOF'
local cs = require("coopstat")
local rows = {}
for i = 1, 20000 do rows[i] = { i, "tổ chức " .. i, i * 1.5 } end
cs._xlsx_write(arg[1], { { name = "big", header = { "id", "name", "x" }, rows = rows } })
EOF
limited 64 "$EXE" run "$tmp/xlsx.lua" "$tmp/big.xlsx"
expect "XLSX writer on a full disk: an error naming the file" 1 err "big.xlsx"

# Without the limit, the same commands work.
run report --period 2023H1 --out "$tmp/r.html" --db "$db"
expect "the report works with room" 0 out "wrote"

finish test_diskfull
