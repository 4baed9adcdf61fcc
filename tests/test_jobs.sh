#!/bin/sh
# test_jobs.sh: scheduled jobs end to end: definitions and their errors,
# runs of scripts and of the catalogue, when-changed triggers, catch-up,
# retries, time and memory limits, the sandbox (every escape rejected),
# two schedulers racing for one slot, kill -9 in the middle of a write,
# and the daemon's SIGTERM.  Prints "ok - ..." per check.
#   BUILD=build sh tests/test_jobs.sh

CHECKS_NAME=jobs
. "$(dirname "$0")/checks.sh"
require_exe test_jobs

root=$(pwd)
cd "$tmp" || exit 1
mkdir data
cp "$root/data/hoabinh/organizations.csv" data/
db=$tmp/j.db
export TZ=Asia/Ho_Chi_Minh
run --db "$db" init --sample

q() { "$EXE" sql --db "$db" --csv "$1" | tail -n +2; }

# --- definitions ------------------------------------------------------------
cat >write.lua <<'EOF'
local cs = require("coopstat")
local db = cs.open()
local orgs = cs.read_csv("data/organizations.csv")
db:write("by_district", orgs:filter("status == 'active'"):group_by("district"):agg("count() as n"),
  { mode = "replace" })
EOF
run jobs add weekly --cron "0 6 * * mon" --script write.lua --db "$db"
expect "add a cron job" 0 out "job 'weekly' added"
run jobs add weekly --cron "0 6 * * mon" --script write.lua --db "$db"
expect "a name is taken once" 1 err "a job named 'weekly' exists already"
run jobs add bad --cron "0 24 * * *" --script write.lua --db "$db"
expect "an invalid cron names the field" 2 err "field 2 (hour) '24': out of range 0-23"
run jobs add bad --cron "0 6 * *" --script write.lua --db "$db"
expect "a short cron says so" 2 err "4 fields, expected 5"
run jobs add bad --cron "@daily" --db "$db"
expect "a job needs a script or the indicators" 2 err "give one of --script FILE.lua and --indicators"
run jobs add bad --cron "@daily" --when-changed reports --script write.lua --db "$db"
expect "cron or when-changed, not both" 2 err "give one of --cron EXPR and --when-changed TABLE"
run jobs add bad --cron "@daily" --script write.lua --timeout 10x --db "$db"
expect "a bad duration" 2 err "--timeout takes a duration such as 90s, 10m or 2h"
run jobs add bad --cron "@daily" --script write.lua --memory lots --db "$db"
expect "a bad size" 2 err "--memory takes a size such as 512M or 2G"
run jobs add bad --when-changed nosuch --indicators --db "$db"
expect "when-changed needs the table" 1 err "the store has no table 'nosuch'"
run jobs add ind --when-changed reports --indicators members,htx_operating --period auto --db "$db"
expect "add a when-changed indicator job" 0 out "job 'ind' added"
run jobs list --db "$db"
expect "list shows the next due time" 0 out "0 6 * * mon"
expect "list: when-changed" 0 out "when the table changes"
run jobs show weekly --db "$db"
expect "show: the schedule in its zone" 0 out "schedule    0 6 * * mon (TZ Asia/Ho_Chi_Minh)"
run jobs disable weekly --db "$db"
expect "disable" 0 out "job 'weekly' disabled"
run jobs list --db "$db"
expect "list: disabled" 0 out "weekly               no"
run jobs enable weekly --db "$db"
expect "enable" 0 out "job 'weekly' enabled"
run jobs show nosuch --db "$db"
expect "an unknown job is named" 1 err "no job 'nosuch'"

# --- runs -------------------------------------------------------------------
run jobs run weekly --db "$db"
expect "run a script job now" 0 out "weekly: ok (attempt 1"
check "its writes are in the store" test "$(q 'select count(*) from by_district')" = 10
run jobs run-due --db "$db"
expect "run-due: nothing due yet" 0 out "nothing due"
q "update reports set revenue_vnd = revenue_vnd + 1000 where org_id = 3" >/dev/null
run jobs run-due --db "$db"
expect "a changed table runs its job" 0 out "ind: ok (attempt 1"
check "the job's indicator run is recorded" test "$(q "select count(*) from coopstat_job_runs where job = 'ind' and indicator_run is not null and values_written > 0")" = 1
run jobs run-due --db "$db"
expect "the same content does not run again" 0 out "nothing due"
run jobs history ind --db "$db"
expect "history shows status and values" 0 out "changed  ok"

# --- missed slots: catch-up -------------------------------------------------
printf 'local x = 1\n' >quick.lua
for mode in once all skip; do
    run jobs add "c_$mode" --cron "@daily" --script quick.lua --catch-up "$mode" --db "$db"
done
q "update coopstat_jobs set last_slot = strftime('%s','now') - 3 * 86400 - 3600 where name like 'c_%'" >/dev/null
run jobs run-due --db "$db"
check "catch-up once: the latest missed slot, once" test "$(q "select count(*) from coopstat_job_runs where job = 'c_once'")" = 1
check "catch-up all: every missed slot" test "$(q "select count(*) from coopstat_job_runs where job = 'c_all'")" = 3
check "catch-up skip: none" test "$(q "select count(*) from coopstat_job_runs where job = 'c_skip'")" = 0
check "missed runs are marked" test "$(q "select count(*) from coopstat_job_runs where trigger = 'catch-up'")" = 4
run jobs run-due --db "$db"
expect "then nothing is due" 0 out "nothing due"
for mode in once all skip; do run jobs remove "c_$mode" --db "$db"; done
expect "remove" 0 out "job 'c_skip' removed"

# --- failures, retries, limits ----------------------------------------------
printf 'error("boom in the script")\n' >fail.lua
run jobs add failing --cron "@daily" --script fail.lua --retries 2 --db "$db"
run jobs run failing --db "$db"
expect "a failing run: status 1" 1 out "failing: failed (attempt 3"
expect "the error is kept" 1 out "boom in the script"
check "retried twice (3 attempts)" test "$(q "select count(*) from coopstat_job_runs where job = 'failing' and status = 'failed'")" = 3
printf 'local n = 0\nwhile true do n = n + 1 end\n' >loop.lua
run jobs add loop --cron "@daily" --script loop.lua --timeout 2s --db "$db"
run jobs run loop --db "$db"
expect "a run past its time limit: timeout" 1 out "loop: timeout"
printf 'while true do pcall(function() for i = 1, 1e12 do end end) end\n' >swallow.lua
run jobs add swallow --cron "@daily" --script swallow.lua --timeout 1s --db "$db"
run jobs run swallow --db "$db"
expect "pcall cannot swallow the time limit (the parent kills)" 1 out "swallow: timeout"
printf 'local co = coroutine.wrap(function() while true do end end)\nco()\n' >co.lua
run jobs add co --cron "@daily" --script co.lua --timeout 1s --db "$db"
run jobs run co --db "$db"
expect "coroutines inherit the time limit" 1 out "co: timeout"
printf 'local t = {}\nfor i = 1, 1e9 do t[i] = ("x"):rep(64) .. i end\n' >mem.lua
run jobs add mem --cron "@daily" --script mem.lua --memory 64M --db "$db"
run jobs run mem --db "$db"
expect "a run past its memory limit: out_of_memory" 1 out "mem: out_of_memory"
printf 'local cs = require("coopstat")\nlocal n = 3000000\nlocal t = {}\nfor i = 1, n do t[i] = i end\nlocal ds = cs.dataset({ x = t })\nfor i = 1, 100 do ds = ds:concat(ds) end\n' >cmem.lua
run jobs add cmem --cron "@daily" --script cmem.lua --memory 96M --db "$db"
run jobs run cmem --db "$db"
expect "the engine's buffers count against the limit" 1 out "cmem: out_of_memory"

# --- the sandbox --------------------------------------------------------------
i=0
while IFS='|' read -r code want; do
    i=$((i + 1))
    printf '%s\n' "$code" >esc$i.lua
    run run --sandbox --timeout 5s --memory 256M --db "$db" esc$i.lua
    expect "sandbox: $code" 1 err "$want"
done <<'EOF'
os.execute("id")|os.execute is not allowed in a job script
io.popen("id")|io.popen is not allowed
os.remove("j.db")|os.remove is not allowed
os.rename("j.db", "x")|os.rename is not allowed
os.exit(0)|os.exit is not allowed
require("os")|only the coopstat module is available
require("lfs")|only the coopstat module is available
package.loadlib("x", "y")|global 'package'
debug.sethook()|global 'debug'
load(string.dump(print))|field 'dump'
return ("").dump()|field 'dump'
load("\27Lua", "x", "b")|only text chunks are allowed
assert(load("\27LuaT\0\25\147\13\10\26\10"))()|attempt to load a binary chunk
loadfile("write.lua")|loadfile is not allowed
dofile("write.lua")|dofile is not allowed
collectgarbage("stop")|collectgarbage('stop') is not allowed
rawset(string, "x", 1)|global 'rawset'
string.x = 1|string is read-only
setmetatable(string, nil)|cannot change a protected metatable
getmetatable("").__index.upper = nil|field '__index'
io.open("/etc/passwd")|outside the folders a job may read
io.open("data/../../../../etc/passwd")|outside the folders a job may read
io.open("data/organizations.csv", "w")|files may only be read
io.lines()|reading standard input is not allowed
require("coopstat").read_csv("/etc/passwd")|outside the folders a job may read
require("coopstat").dataset({ a = { 1 } }):write_csv("x.csv")|write_csv (writing files) is not allowed
require("coopstat").open("other.db")|a job script uses its job's store
require("coopstat").x = 1|coopstat is read-only
require("coopstat")._xlsx_write("x.xlsx", {})|field '_xlsx_write'
local function f() return f() + 1 end f()|stack overflow
EOF
printf 'local cs = require("coopstat")\nprint(#cs.read_csv("data/organizations.csv"), #cs.open():read("sectors"), load("return 1 + 1")())\n' >okay.lua
run run --sandbox --db "$db" okay.lua
expect "sandbox: what is allowed works" 0 out "729	7	2"
run run --timeout 1s okay.lua
expect "--timeout goes with --sandbox" 2 err "go with --sandbox"

# --- two schedulers, one slot ------------------------------------------------
printf 'local t = os.clock()\nwhile os.clock() - t < 1.5 do end\n' >slow.lua
run jobs add race --cron "* * * * *" --script slow.lua --db "$db"
q "update coopstat_jobs set last_slot = (strftime('%s','now') / 60) * 60 - 60 - 1 where name = 'race'" >/dev/null
"$EXE" jobs run-due --db "$db" >race1.out 2>&1 &
p1=$!
"$EXE" jobs run-due --db "$db" >race2.out 2>&1 &
p2=$!
wait $p1
wait $p2
check "two run-due at once: each slot runs once" test "$(q "select count(*) from coopstat_job_runs where job = 'race'")" -ge 1
check "no slot of the race ran twice" test "$(q "select count(*) from (select slot from coopstat_job_runs where job = 'race' group by slot having count(*) > 1)")" = 0
run jobs remove race --db "$db"

# --- kill -9 in the middle of a write -----------------------------------------
cat >bigwrite.lua <<'EOF'
local cs = require("coopstat")
local db = cs.open()
local x = {}
for i = 1, 200000 do x[i] = i end
local ds = cs.dataset({ x = x })
for i = 1, 1000 do db:write("partial", ds, { mode = i == 1 and "create" or "append" }) end
EOF
run jobs add big --cron "@daily" --script bigwrite.lua --timeout 60s --db "$db"
"$EXE" jobs run big --db "$db" >big.out 2>&1 &
pid=$!
n=0
while [ "$n" -lt 100 ] && [ "$(q "select count(*) from coopstat_job_runs where job = 'big' and status = 'running'")" != 1 ]; do
    sleep 0.1
    n=$((n + 1))
done
sleep 1.5
# The scheduler and its child, both at once (as a power cut would).
kill -9 $(cat "/proc/$pid/task/$pid/children" 2>/dev/null) "$pid"
wait "$pid" 2>/dev/null
check "after kill -9: integrity_check ok" test "$(q 'pragma integrity_check')" = ok
check "after kill -9: nothing of the run is in the store" test "$(q "select count(*) from sqlite_schema where name = 'partial'")" = 0
q "update coopstat_jobs set timeout_s = 1 where name = 'big'" >/dev/null
run jobs run big --db "$db"
expect "a later run says the killed one was abandoned" 1 err "was abandoned"
check "the killed run's lease is recovered as abandoned" test "$(q "select status from coopstat_job_runs where job = 'big' order by id limit 1")" = abandoned

# --- the daemon ------------------------------------------------------------------
run jobs add tick --cron "* * * * *" --script quick.lua --db "$db"
q "update coopstat_jobs set last_slot = strftime('%s','now') - 600 where name = 'tick'" >/dev/null
"$EXE" jobs daemon --db "$db" >daemon.out 2>&1 &
dpid=$!
n=0
while [ "$n" -lt 100 ] && ! grep -q "tick: ok" daemon.out; do sleep 0.1; n=$((n + 1)); done
kill -TERM "$dpid"
wait "$dpid"
drc=$?
check "the daemon runs what is due" grep -q "tick: ok" daemon.out
check "SIGTERM stops the daemon cleanly (status 0)" test "$drc" = 0
check "the daemon says it stops" grep -q "stopping" daemon.out

run jobs frobnicate --db "$db"
expect "an unknown subcommand" 2 err "unknown subcommand 'frobnicate'"
run help jobs
expect "help jobs" 0 out "usage: coopstat jobs add NAME"

cd "$root" || exit 1
finish test_jobs
