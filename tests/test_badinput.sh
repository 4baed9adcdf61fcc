#!/bin/sh
# test_badinput.sh: bad input, end to end through the command line.  Valid
# but extreme inputs load; malformed ones give a positioned error and a
# non-zero exit, never a crash or a hang.  Table-driven: each case is a
# file or a script and the text its error must hold.
#   BUILD=build sh tests/test_badinput.sh
#   BIG=1 BUILD=build sh tests/test_badinput.sh   (also a 100 MB field)

CHECKS_NAME=badinput
. "$(dirname "$0")/checks.sh"
require_exe test_badinput

db=$tmp/b.db
run --db "$db" init --sample

# no_crash NAME: the last run ended by exit, not by a signal (a crash).
no_crash() {
    if [ "$rc" -lt 128 ]; then ok "$1: no crash"; else notok "$1: ended by signal $((rc - 128))"; fi
}

# --- valid but extreme ---------------------------------------------------------------
awk 'BEGIN { for (i = 1; i <= 10000; i++) printf "%sc%d", (i > 1 ? "," : ""), i; print "";
             for (r = 1; r <= 3; r++) { for (i = 1; i <= 10000; i++) printf "%s%d", (i > 1 ? "," : ""), i * r; print "" } }' >"$tmp/wide.csv"
printf 'local cs = require("coopstat")\nlocal d = cs.read_csv(arg[1])\nprint(#d, #d:names(), d.c10000[3])\n' >"$tmp/wide.lua"
run run "$tmp/wide.lua" "$tmp/wide.csv"
expect "10,000 columns load" 0 out "3	10000	30000"
run import "$tmp/wide.csv" --table wide --db "$db"
expect "a store table beyond SQLite's column limit: a clear error" 1 err "'wide': 10000 columns, but a store table holds at most 2000"
run import "$tmp/wide.csv" --table wide --columns c10000,c1 --db "$db"
expect "import --columns keeps the columns named" 0 err "3 rows, 2 columns"
run sql --db "$db" "select c10000, c1 from wide where c1 = 3"
expect "in the order named, with their values" 0 out "30000"
run import "$tmp/wide.csv" --table wide2 --columns c1,nope --db "$db"
expect "import --columns naming a missing column" 1 err "no column 'nope'"
run import "$tmp/wide.csv" --table wide2 --columns c1, --db "$db"
expect "import --columns with an empty name" 2 err "--columns needs names"
size=$((10 * 1024 * 1024))
[ -n "${BIG:-}" ] && size=$((100 * 1024 * 1024))
{ printf 'id,text\n1,"'; head -c "$size" /dev/zero | tr '\0' 'x'; printf '"\n2,short\n'; } >"$tmp/field.csv"
run import "$tmp/field.csv" --table field --db "$db"
expect "a $((size / 1024 / 1024)) MB single field loads" 0 err "2 rows, 2 columns"
run sql --db "$db" "select length(text) as n from field where id = 1"
expect "and keeps every byte" 0 out "$size"

if [ -n "${BIG:-}" ]; then
    # 10,000,000 rows: an integer, a district name (dictionary), a number
    # with nulls; read, summed, and imported into the store.
    awk 'BEGIN { print "id,district,revenue"; split("Mai Châu,Lạc Sơn,Tân Lạc,Kim Bôi,Đà Bắc", d, ",");
                 for (i = 1; i <= 10000000; i++) printf "%d,%s,%s\n", i, d[i % 5 + 1], (i % 7 ? (i % 1000) / 4 : "") }' >"$tmp/rows.csv"
    printf 'local cs = require("coopstat")\nlocal d = cs.read_csv(arg[1])\nlocal g = d:group_by("district"):agg("count() as n", "sum(revenue) as s"):sort("district")\nprint(#d, #g, g.n[1], string.format("%%.2f", d:agg("sum(revenue) as s").s[1]))\n' >"$tmp/rows.lua"
    want=$(awk 'BEGIN { for (i = 1; i <= 10000000; i++) if (i % 7) s += (i % 1000) / 4; printf "%.2f", s }')
    run run "$tmp/rows.lua" "$tmp/rows.csv"
    expect "a 10,000,000-row file loads and aggregates" 0 out "10000000	5	2000000	$want"
    run import "$tmp/rows.csv" --table rows --db "$db"
    expect "and imports" 0 err "10000000 rows, 3 columns"
    run sql --db "$db" "select count(*) as n, count(revenue) as r from rows"
    expect "with every row and null" 0 out "10000000  8571429"
    rm -f "$tmp/rows.csv"
fi

# --- malformed files: positioned errors -------------------------------------------------
printf 'a,b\n1,"open\n2,3\n' >"$tmp/truncated.csv"
printf 'a,b\n1,2\n3\n' >"$tmp/short.csv"
head -c 4096 /dev/urandom >"$tmp/garbage.csv"
printf 'a,b\n1,\377\376\n' >"$tmp/latin.csv"
: >"$tmp/empty.csv"
while IFS='|' read -r file want; do
    run import "$tmp/$file" --table "t_${file%.csv}" --db "$db"
    expect "import $file: status 1, positioned" 1 err "$want"
    no_crash "import $file"
done <<EOF
truncated.csv|truncated.csv:2:
short.csv|short.csv:3:
garbage.csv|garbage.csv:
latin.csv|latin.csv:2:
empty.csv|empty.csv
EOF
run sql --db "$db" "select count(*) as n from sqlite_schema where name like 't\\_%' escape '\\'"
expect "failed imports create nothing" 0 out "0"

# --- malformed expressions, SQL, scripts ------------------------------------------------
deep=$(awk 'BEGIN { for (i = 0; i < 5000; i++) printf "("; printf "1"; for (i = 0; i < 5000; i++) printf ")" }')
printf 'local cs = require("coopstat")\nlocal orgs = cs.read_csv("data/hoabinh/organizations.csv")\nprint(#orgs:filter("%s == 1"))\n' "$deep" >"$tmp/deep.lua"
run run "$tmp/deep.lua"
expect "an expression nested 5,000 deep: a clear error" 1 err "position 201: expression too deeply nested"
no_crash "deep expression"
printf 'local cs = require("coopstat")\nprint(#cs.read_csv("data/hoabinh/organizations.csv"):filter("members > "))\n' >"$tmp/incomplete.lua"
run run "$tmp/incomplete.lua"
expect "an incomplete expression names the position" 1 err "position"

run import "$tmp/short.csv" --table "x; DROP TABLE organizations; --" --db "$db"
no_crash "injection in a table name"
run sql --db "$db" "select count(*) as n from organizations"
expect "a table name cannot inject SQL" 0 out "729"
cat >"$tmp/inject.lua" <<'EOF'
local cs = require("coopstat")
local db = cs.open()
local q = db:query("select count(*) as n from organizations where district = ?",
  { "x'; DROP TABLE organizations; --" })
print("matched", q.n[1])
local ok, err = pcall(db.write, db, "a\"b; drop table organizations", cs.dataset({ x = { 1 } }))
print("write", ok, #db:read("organizations"))
EOF
run run --db "$db" "$tmp/inject.lua"
expect "parameters are bound, never spliced" 0 out "matched	0"
expect "the table survives an odd table name" 0 out "729"

while IFS='|' read -r name code want; do
    printf '%s\n' "$code" >"$tmp/s.lua"
    run run "$tmp/s.lua"
    expect "$name: status 1 and a message" 1 err "$want"
    no_crash "$name"
done <<'EOF'
error in __gc|setmetatable({}, { __gc = function() error("boom in gc") end }) collectgarbage() error("after gc")|after gc
error in __tostring|print(setmetatable({}, { __tostring = function() error("boom in tostring") end }))|boom in tostring
__tostring returning a table|print(setmetatable({}, { __tostring = function() return {} end }))|'__tostring' must return a string
error in a coroutine|local co = coroutine.wrap(function() error("boom in coroutine") end) co()|boom in coroutine
an engine error in a finalizer at exit|local cs = require("coopstat") local d = cs.dataset({ a = { 1 } }) setmetatable({}, { __gc = function() d:filter("a >") end }) error("main failed")|main failed
a store error in a coroutine|local cs = require("coopstat") local co = coroutine.wrap(function() cs.open(":memory:"):write("coopstat_x", cs.dataset({ a = { 1 } })) end) co()|names beginning with coopstat_
an error after a yield inside a row loop|local cs = require("coopstat") local d = cs.dataset({ a = { 1, 2 } }) local co = coroutine.wrap(function() for r in d:rows() do coroutine.yield(r.a) end error("boom at row end") end) co() co() co()|boom at row end
a dataset method on a wrong value|local cs = require("coopstat") cs.dataset({ a = { 1 } }).filter(42, "a > 0")|filter
deep recursion|local function f(n) return f(n + 1) + 1 end f(1)|stack overflow
a closed dataset|local cs = require("coopstat") local d = cs.dataset({ a = { 1 } }) getmetatable(d).__close(d) print(#d)|closed
EOF

# An error in a finalizer does not stop the script (Lua makes it a
# warning): it is printed, with the script's name and line.
printf 'setmetatable({}, { __gc = function() error("boom in gc") end })\ncollectgarbage()\nprint("went on")\n' >"$tmp/gc.lua"
run run "$tmp/gc.lua"
expect "an error in __gc is a warning, positioned" 0 err "coopstat: warning: error in __gc ($tmp/gc.lua:1: boom in gc)"
expect "and the script goes on" 0 out "went on"
printf 'warn("@off")\nsetmetatable({}, { __gc = function() error("quiet") end })\ncollectgarbage()\nwarn("@on")\nwarn("the ", "end")\n' >"$tmp/warn.lua"
run run "$tmp/warn.lua"
expect "warn('@off') silences warnings, warn() pieces make one line" 0 err "coopstat: warning: the end"
case $(cat "$tmp/err") in *quiet*) notok "a warning after @off was printed" ;; *) ok "no warning after @off" ;; esac

finish test_badinput
