#!/bin/sh
# test_crash.sh: crash consistency.  Starts `coopstat indicators run` and
# `coopstat import` and kills them with SIGKILL at random points, then
# checks the store: PRAGMA integrity_check passes, every committed
# indicator run is whole (its items and all their values), no value of a
# killed run is visible, and an import is all or nothing.
#   BUILD=build sh tests/test_crash.sh            (CRASH_TRIALS=5 each)
#   CRASH_TRIALS=100 BUILD=build sh tests/test_crash.sh   (the long run)

CHECKS_NAME=crash
. "$(dirname "$0")/checks.sh"
require_exe test_crash

TRIALS=${CRASH_TRIALS:-5}
db=$tmp/c.db
root=$(pwd)
run --db "$db" init --sample
q() { "$EXE" sql --db "$db" --csv "$1" | tail -n +2; }

# A random number of milliseconds below $1 (awk's generator, seeded by
# the trial and the process).
pause() {
    wait_ms=$(awk -v max="$1" -v seed="$2$$" 'BEGIN { srand(seed); printf "%d", rand() * max }')
    sleep "$(awk -v ms="$wait_ms" 'BEGIN { printf "%.3f", ms / 1000 }')"
}

# The time one command takes, in ms (to spread the kills over it).
span() {
    start=$(date +%s%N)
    "$@" >/dev/null 2>&1
    end=$(date +%s%N)
    echo $(((end - start) / 1000000 + 5))
}

bad=0
# --- indicators run --------------------------------------------------------------
ms=$(span "$EXE" indicators run --period 2023H1 --db "$db")
i=0
while [ "$i" -lt "$TRIALS" ]; do
    i=$((i + 1))
    "$EXE" indicators run --period 2023H1 --db "$db" >/dev/null 2>&1 &
    pid=$!
    pause "$ms" "$i"
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    if [ "$(q 'pragma integrity_check')" != ok ]; then
        notok "indicators run killed (trial $i): integrity_check"
        bad=$((bad + 1))
        continue
    fi
    # A run row exists only once committed: no run is left 'running', each
    # has all its items, and each item has all its values.
    broken=$(q "select count(*) from coopstat_runs r where r.status = 'running'
                   or (select count(*) from coopstat_run_items i where i.run_id = r.run_id) <> 24
                   or (select count(*) from coopstat_values v where v.run_id = r.run_id) <>
                      (select sum(n_values) from coopstat_run_items i where i.run_id = r.run_id)")
    orphans=$(q "select count(*) from coopstat_values where run_id not in (select run_id from coopstat_runs)")
    if [ "$broken" != 0 ] || [ "$orphans" != 0 ]; then
        notok "indicators run killed (trial $i): $broken partial runs, $orphans values of killed runs"
        bad=$((bad + 1))
    fi
done
echo "# indicators run: $TRIALS kills within ${ms} ms, $(($(q 'select count(*) from coopstat_runs') - 1)) of the runs had committed"
[ "$bad" -eq 0 ] && ok "indicators run killed $TRIALS times: every committed run whole, nothing of a killed one"

# --- import ------------------------------------------------------------------------
awk 'BEGIN { print "id,name,amount,day"; for (i = 1; i <= 150000; i++) printf "%d,org %d,%d,2023-06-%02d\n", i, i % 977, i * 7, i % 28 + 1 }' >"$tmp/big.csv"
ms=$(span "$EXE" import "$tmp/big.csv" --table probe --db "$db")
bad=0
i=0
while [ "$i" -lt "$TRIALS" ]; do
    i=$((i + 1))
    "$EXE" import "$tmp/big.csv" --table "t$i" --db "$db" >/dev/null 2>&1 &
    pid=$!
    pause "$ms" "$((i + 1000))"
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    if [ "$(q 'pragma integrity_check')" != ok ]; then
        notok "import killed (trial $i): integrity_check"
        bad=$((bad + 1))
        continue
    fi
    have=$(q "select count(*) from sqlite_schema where name = 't$i'")
    if [ "$have" = 1 ]; then
        rows=$(q "select count(*) from t$i")
        if [ "$rows" != 150000 ]; then
            notok "import killed (trial $i): half a table ($rows rows)"
            bad=$((bad + 1))
        fi
    fi
    # What the store says of the table matches the table.
    meta=$(q "select count(*) from coopstat_tables where name = 't$i'")
    if [ "$meta" != "$have" ]; then
        notok "import killed (trial $i): coopstat_tables says $meta, the table exists: $have"
        bad=$((bad + 1))
    fi
done
echo "# import: $TRIALS kills within ${ms} ms, $(q "select count(*) from sqlite_schema where type = 'table' and name glob 't[0-9]*'") imports had committed"
[ "$bad" -eq 0 ] && ok "import killed $TRIALS times: the table is whole or absent"
run sql --db "$db" "select count(*) as n from probe"
expect "the store still works after the kills" 0 out "150000"

cd "$root" || exit 1
finish test_crash
