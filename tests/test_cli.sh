#!/bin/sh
# test_cli.sh: checks the coopstat program's commands, exit codes and
# messages.  Prints "ok - ..." or "not ok - ..." per check and a summary;
# exits non-zero when a check fails.  Usage: BUILD=build sh tests/test_cli.sh

CHECKS_NAME=cli
. "$(dirname "$0")/checks.sh"

require_exe test_cli

run --help
expect "--help lists run" 0 out "run "
expect "--help lists the jobs" 0 out "jobs        scheduled jobs"
expect "--help lists the REPL" 0 out "repl        interactive Lua prompt"
run -h
expect "-h is --help" 0 out "usage: coopstat"
run help
expect "help shows the usage" 0 out "Commands:"
run help run
expect "help run" 0 out "usage: coopstat run"
run help repl
expect "help repl" 0 out "usage: coopstat [repl]"
run help rnu
expect "help for an unknown command: status 2" 2 err "unknown command 'rnu'"
run run --help
expect "run --help" 0 out "usage: coopstat run"

run --version
expect "--version" 0 out "coopstat 0.1.0 (Lua 5.4"
if grep -qE '^coopstat 0\.1\.0 \(Lua 5\.4\.[0-9]+, SQLite 3(\.[0-9]+){2}\)$' \
        "$tmp/out"; then
    ok "--version format"
else
    notok "--version format"
fi

run </dev/null
if [ "$rc" -eq 0 ] && [ ! -s "$tmp/out" ] && [ ! -s "$tmp/err" ]; then
    ok "no arguments: the REPL, reading its (empty) input"
else
    notok "no arguments: the REPL, reading its (empty) input"
fi

run rnu
expect "unknown command: status 2" 2 err "unknown command 'rnu'"
expect "unknown command: suggestion" 2 err "Did you mean 'run'?"
expect "unknown command: list" 2 err "Commands: run"
run --bogus
expect "unknown option: status 2" 2 err "unknown option '--bogus'"

run jobs
expect "jobs without a subcommand: usage" 2 err "missing a subcommand"

run run
expect "run without a script: status 2" 2 err "missing the script"
run run --frobnicate x.lua
expect "run with a bad option: status 2" 2 err "unknown option"

run run "$tmp/missing.lua"
expect "missing script: status 1" 1 err "cannot open $tmp/missing.lua"

cat >"$tmp/fail.lua" <<'EOF'
local function inner()
  error("boom from the script")
end
inner()
EOF
run run "$tmp/fail.lua"
expect "failing script: status 1" 1 err \
    "coopstat: $tmp/fail.lua:2: boom from the script"
expect "failing script: traceback" 1 err "stack traceback:"
expect "failing script: caller line" 1 err "fail.lua:4: in main chunk"

printf 'local x = \n' >"$tmp/syntax.lua"
run run "$tmp/syntax.lua"
expect "syntax error: status 1" 1 err "syntax.lua:2:"

printf 'error({})\n' >"$tmp/obj.lua"
run run "$tmp/obj.lua"
expect "non-string error object" 1 err "(error object is a table value)"

printf 'os.exit(3)\n' >"$tmp/exit.lua"
run run "$tmp/exit.lua"
if [ "$rc" -eq 3 ]; then ok "os.exit status passes through"; else
    notok "os.exit status passes through (status $rc)"; fi

cat >"$tmp/args.lua" <<'EOF'
local a, b = ...
print(arg[0], arg[1], arg[2], #arg, a, b)
EOF
run run "$tmp/args.lua" one -two
expect "arguments: arg and ..." 0 out "$tmp/args.lua	one	-two	2	one	-two"
run run -- "$tmp/args.lua" x
expect "run -- SCRIPT" 0 out "	x	nil	1	x	nil"

printf 'local cs = require "coopstat"\nprint("v=" .. cs.version)\n' \
    >"$tmp/req.lua"
run_cmd env -u LUA_CPATH -u LUA_CPATH_5_4 "$EXE" run "$tmp/req.lua"
expect "require works without LUA_CPATH" 0 out "v=0.1.0"
run_cmd env LUA_CPATH='/nonexistent/?.so' "$EXE" run "$tmp/req.lua"
expect "require ignores a bad LUA_CPATH" 0 out "v=0.1.0"

printf 'print("stdin " .. select("#", ...) .. " " .. arg[1])\n' \
    >"$tmp/stdin.lua"
run run - a <"$tmp/stdin.lua"
expect "run - reads stdin" 0 out "stdin 1 a"

printf 'local cs = require "coopstat"\ncs.read_csv("%s/none.csv")\n' "$tmp" \
    >"$tmp/core.lua"
run run "$tmp/core.lua"
expect "core errors reach the user" 1 err "none.csv"
expect "core errors name the script line" 1 err "core.lua:2: read_csv:"

# Ctrl-C stops a running script with an error, status 1.
cat >"$tmp/loop.lua" <<EOF
local f = assert(io.open("$tmp/ready", "w"))
f:close()
local cs = require "coopstat"
local d = cs.dataset { x = { 1, 2, 3 } }
while true do d:filter(function(row) return row.x > 1 end) end
EOF
"$EXE" run "$tmp/loop.lua" >"$tmp/out" 2>"$tmp/err" &
pid=$!
i=0
while [ ! -f "$tmp/ready" ] && [ "$i" -lt 100 ]; do
    sleep 0.1
    i=$((i + 1))
done
sleep 0.2
kill -INT "$pid" 2>/dev/null
wait "$pid"
rc=$?
expect "SIGINT interrupts a script" 1 err "interrupted"

# --- the store: init, import, sql, tables, --db ---------------------------
db="$tmp/s.db"
run init --sample --db "$db"
expect "init --sample creates the store" 0 err "store ready: $db"
run tables --db "$db"
expect "tables lists the sample tables" 0 out "organizations   table   729"
expect "tables lists the 2025 crosswalk" 0 out "crosswalk_2025  table   154"
run --db "$db" sql "select kind, count(*) as n from organizations where status = 'active' group by kind order by kind"
expect "sql prints an aligned table" 0 out "HTX    433"
run sql --db "$db" --json "select sector, label_vi from sectors order by sector limit 1"
expect "sql --json prints an array of objects" 0 out '{"sector":"agriculture","label_vi":"Nông nghiệp"}'
run sql --db "$db" --csv "select sector from sectors order by sector limit 1"
expect "sql --csv prints CSV" 0 out "sector
agriculture"
printf 'k,v\n1,x\n2,y\n' >"$tmp/kv.csv"
run import "$tmp/kv.csv" --table kv --db "$db"
expect "import writes a table" 0 err "2 rows, 2 columns -> table 'kv'"
run import "$tmp/kv.csv" --table kv --db "$db"
expect "import into an existing table needs a mode" 1 err "table 'kv' exists"
run import "$tmp/kv.csv" --table kv --mode append --db "$db"
expect "import --mode append" 0 err "-> table 'kv'"
printf 'k,v\nx,1\n' >"$tmp/bad.csv"
run import "$tmp/bad.csv" --table kv --mode append --db "$db"
expect "an append of other types fails" 1 err "column 'k' is int64 in the table, string in the data"
run sql --db "$db" "select count(*) as n from kv"
expect "a failed import leaves the table as it was" 0 out "4"
printf 'k,v\n1,"open\n' >"$tmp/broken.csv"
run import "$tmp/broken.csv" --table broken --db "$db"
expect "a malformed CSV names the place" 1 err "broken.csv:2:"
run sql --db "$db" "select count(*) as n from sqlite_schema where name = 'broken'"
expect "a failed import creates nothing" 0 out "0"
run sql --db "$db" "selec 1"
expect "an SQL error names the position" 1 err "SQL error at character 1"
run sql --db "$db" "delete from kv where k = 2"
expect "a statement prints the rows it changed" 0 out "2 rows changed"
run import --mode sideways "$tmp/kv.csv" --table t --db "$db"
expect "a bad --mode is a usage error" 2 err "--mode must be create, replace or append"
run import "$tmp/kv.csv" --db "$db"
expect "import needs --table" 2 err "missing --table NAME"

# Reading options: a file from Vietnamese-locale Excel.
printf 'ma_xa;Huy\341\273\207n;S\341\273\221 TV;Doanh thu;Ng\303\240y\n412;Mai Ch\303\242u;1.234;5,5;30/06/2023\n413;L\341\272\241c S\306\241n;-;n/a;01/01/2023\n' >"$tmp/vn.csv"
run import "$tmp/vn.csv" --table vn --sep ';' --decimal , --thousands . --na -,n/a \
    --date-format %d/%m/%Y --schema ma_xa=string --db "$db"
expect "import with reading options" 0 err "2 rows, 5 columns -> table 'vn'"
run sql --db "$db" "select ma_xa, \"Số TV\" as tv, \"Doanh thu\" as dt, \"Ngày\" as d from vn where ma_xa = '412'"
expect "separator, thousands and decimal marks, date format, schema" 0 out "412    1234  5.5  2023-06-30"
run sql --db "$db" "select count(*) as n from vn where \"Số TV\" is null and \"Doanh thu\" is null"
expect "--na markers are nulls" 0 out "1"
printf '1\t2\n3\t4\n' >"$tmp/nohead.tsv"
run import "$tmp/nohead.tsv" --table nohead --sep tab --no-header --db "$db"
expect "--sep tab --no-header" 0 err "2 rows, 2 columns"
run sql --db "$db" "select sum(V2) as s from nohead"
expect "no header: columns V1, V2" 0 out "6"
run import "$tmp/vn.csv" --table vn2 --sep ';;' --db "$db"
expect "--sep of two characters: a usage error" 2 err "--sep needs one character"
run import "$tmp/vn.csv" --table vn2 --schema ma_xa=text --db "$db"
expect "--schema with a bad type: a usage error" 2 err "--schema needs COLUMN=TYPE pairs"
run import "$tmp/vn.csv" --table vn2 --encoding latin1 --db "$db"
expect "an unknown encoding names the option" 1 err "option 'encoding': unknown encoding 'latin1'"
run import "$tmp/vn.csv" --table vn2 --schema "Số TV=int64" --db "$db"
expect "a value not of the --schema type is positioned" 1 err "vn.csv:2:"
COOPSTAT_DB="$db" run_cmd "$EXE" tables
expect "COOPSTAT_DB names the store" 0 out "kv "
printf 'local cs = require "coopstat"\nprint(#cs.open():read("organizations"))\n' >"$tmp/open.lua"
run run --db "$db" "$tmp/open.lua"
expect "cs.open() opens the --db store" 0 out "729"
run --db "$db" run "$tmp/open.lua"
expect "--db before the command" 0 out "729"
printf 'not a database, but text long enough to fill the header of one\n%.0s' 1 2 3 >"$tmp/text.db"
run tables --db "$tmp/text.db"
expect "a file that is not a store is refused" 1 err "text.db"

# --- indicators and validate --------------------------------------------
idb="$tmp/ind.db"
run indicators list --db "$idb"
expect "indicators list shows the catalogue" 0 out "htx_worker_income_month"
run indicators run --db "$idb"
expect "indicators run needs --period" 2 err "missing --period"
run indicators run --period 2023H3 --db "$idb"
expect "a bad period is a usage error" 2 err "--period '2023H3' is not a period"
run indicators run --period 2023H1 --db "$idb"
expect "indicators run imports what the store lacks, and says so" 0 err "has no table 'organizations': imported"
expect "indicators run reports the run" 0 out "run 1, period 2023H1: 24 computed, 0 failed"
run indicators run --period 2023H1 --only "members, htx_operating,members" --db "$idb"
expect "a second run says the values are the same" 0 out "same values as run 1"
run indicators run --period 2023H1 --only membres --db "$idb"
expect "an unknown id is named" 1 err "no indicator 'membres'"
run indicators export --period 2023H1 --db "$idb"
expect "export has the columns" 0 out "indicator_id,period,district,kind,value,unit,run_id"
expect "export: the province total has every dimension empty" 0 out "members,2023H1,,,12460,people,2"
expect "export: plain numbers" 0 out "htx_revenue_avg,2023H1,,,1302150000,VND,1"
run indicators export --period 2023H1 --format json --db "$idb"
expect "export --format json" 0 out '"indicator_id": "members", "period": "2023H1", "district": null, "kind": null, "value": 12460'
run indicators export --period 2023H1 --out "$tmp/ind.csv" --db "$idb"
if [ "$rc" -eq 0 ] && [ "$(head -c 12 "$tmp/ind.csv")" = "indicator_id" ] && [ ! -e "$tmp/ind.csv.tmp" ]; then
    ok "export --out writes the file"
else
    notok "export --out writes the file"
fi
run indicators export --period 2024H1 --db "$idb"
expect "export of a period never run fails" 1 err "no indicator values for period 2024H1"
run indicators show members --db "$idb"
expect "show lists the values across runs" 0 out "12460"
run indicators explain htx_revenue_avg --period 2023H1 --db "$idb"
expect "explain shows the definition version" 0 out "definition version 1 of htx_revenue_avg"
expect "explain shows the inputs' fingerprints" 0 out "organizations  729 rows"
expect "explain shows the source" 0 out "mean(revenue_vnd)"
run indicators explain members --period 2023H1 --district "Lạc Sơn" --db "$idb"
expect "explain a district's value" 0 out "district Lạc Sơn"
run indicators explain members --period 2023H1 --district Nowhere --db "$idb"
expect "explain an absent cell fails" 1 err "has no value for district 'Nowhere'"
run indicators frobnicate --db "$idb"
expect "an unknown subcommand is a usage error" 2 err "unknown subcommand 'frobnicate'"
run validate --period 2023H1 --db "$idb"
expect "validate exits 1 on findings" 1 out "validate 2023H1: 49 checks, 4 findings, 45 confirmed"
expect "validate: P1 against P2+P3+P4" 1 out "published P1 orgs_operating (597) ≠ P2 + P3 + P4 = 600"
expect "validate: P2 against P18+P19" 1 out "published P2 htx_operating (433) ≠ P18 + P19 = 434"
expect "validate: computed 600 against P1" 1 out "computed orgs_operating = 600 (600 at the published precision) ≠ published P1 = 597"
expect "validate: computed 128 against P19" 1 out "computed htx_nonagriculture = 128 (128 at the published precision) ≠ published P19 = 129"
expect "validate confirms P9 = P10 + P11" 1 out "ok  workers_parts_sum"
run validate --db "$idb"
expect "validate needs --period" 2 err "missing --period"
run help validate
expect "help validate" 0 out "usage: coopstat validate"

# --- import progress on a terminal (script(1) gives it one) ---------------
awk 'BEGIN { print "id,name,amount"; for (i = 1; i <= 600000; i++) printf "%d,org %d,%d\n", i, i % 977, i * 3 }' >"$tmp/big.csv"
run import "$tmp/big.csv" --table big --db "$tmp/progress.db"
if [ "$rc" -eq 0 ] && ! grep -q "rows/s" "$tmp/err"; then
    ok "import is quiet when stderr is not a terminal"
else
    notok "import is quiet when stderr is not a terminal"
fi
if command -v script >/dev/null 2>&1; then
    script -qec "'$EXE' import '$tmp/big.csv' --table big2 --db '$tmp/progress.db'" \
        "$tmp/typescript" >/dev/null 2>&1
    if grep -q "writing: [0-9]* of 600000 rows, [0-9]* rows/s, [0-9]* s left" "$tmp/typescript" &&
        grep -q "600000 rows, 3 columns -> table 'big2'" "$tmp/typescript"; then
        ok "import shows rows, speed and time left on a terminal"
    else
        notok "import shows rows, speed and time left on a terminal"
        tr '\r' '\n' <"$tmp/typescript" | head -5
    fi
else
    notok "script(1) is needed to test progress on a terminal"
fi

# --- the membership scenario on the sample data ---------------------------
run run --db "$tmp/scen.db" scripts/scenarios/membership_2025.lua "$tmp/scen.html"
expect "scenario: the province row" 0 out "Toàn tỉnh              12.460   14.660       6,7%"
expect "scenario: a district on track" 0 out "Đà Bắc                    706      850       7,7%"
expect "scenario: at risk, with its confidence" 0 out "at risk"
expect "scenario: imports what the store lacks" 0 err "imported data/hoabinh/history.csv as table 'history'"
run sql --db "$tmp/scen.db" "select count(*) as n, sum(status = 'off track') as off from scenario_membership_2025"
expect "scenario: the result is stored" 0 out "11"
if [ "$(grep -o '<svg' "$tmp/scen.html" | wc -l)" -eq 11 ] && grep -q 'class="target"' "$tmp/scen.html"; then
    ok "scenario: a chart per area with its target"
else
    notok "scenario: a chart per area with its target"
fi

# --- the 2025 units, targets ------------------------------------------------
run init --sample --db "$tmp/u.db"
run sql --db "$tmp/u.db" "select t.name, c.type from coopstat_columns c join (select 'targets' as name) t on c.tbl = t.name where c.name = 'period'"
expect "init --sample: targets, with text periods" 0 out "string"
run indicators run --period 2023H1 --only htx_operating --units 2025 --db "$tmp/u.db"
expect "indicators run --units 2025" 0 out "run 1, period 2023H1, on the 2025 units: 1 computed"
expect "--units 2025: the divided communes are named" 0 err "divided communes (04891, 04957, 05221)"
run indicators export --period 2023H1 --units 2025 --db "$tmp/u.db"
expect "export --units 2025: the 2025 units" 0 out "htx_operating,2023H1,Phường Thống Nhất,,4,organisations,1,2025"
run indicators run --period 2023H1 --units 2025 --assign 04891=0482 --db "$tmp/u.db"
expect "--assign checks the successor" 1 err "0482 is not a 2025 unit"
run indicators run --period 2023H1 --assign 04891=04828 --db "$tmp/u.db"
expect "--assign needs --units 2025" 2 err "--assign goes with --units 2025"
run indicators show members --db "$tmp/u.db"
expect "show lists the targets beside the values" 1 err "no values of 'members'"
run indicators run --period 2023H1 --only members --db "$tmp/u.db"
run indicators show members --db "$tmp/u.db"
expect "show: targets beside the values" 0 out "(toàn tỉnh / province)   14660"

finish test_cli
