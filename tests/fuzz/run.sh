#!/bin/sh
# run.sh: runs each libFuzzer target given for $FUZZ_SECONDS seconds (make
# fuzz).  First every saved crash of the target (tests/fuzz/crashes/TARGET-*)
# runs once as a regression test; then the target fuzzes from its seeds
# (tests/fuzz/corpus/TARGET) with a working corpus in $FUZZ_BUILD/corpus.
# A new crash is saved in tests/fuzz/crashes/ and fails the run.  Prints
# the executions of each target (for tests/fuzz/README.md).
FUZZ_BUILD=${FUZZ_BUILD:-build-fuzz}
FUZZ_SECONDS=${FUZZ_SECONDS:-10}
failed=0
for t in "$@"; do
    bin=$FUZZ_BUILD/$t
    work=$FUZZ_BUILD/corpus/$t
    mkdir -p "$work" tests/fuzz/crashes
    for c in tests/fuzz/crashes/"$t"-*; do
        [ -e "$c" ] || continue
        if ! "$bin" "$c" >"$FUZZ_BUILD/$t.regress" 2>&1; then
            echo "fuzz: $t: the saved crash $c fails again"
            tail -20 "$FUZZ_BUILD/$t.regress"
            failed=$((failed + 1))
        fi
    done
    "$bin" -max_total_time="$FUZZ_SECONDS" -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix="tests/fuzz/crashes/$t-" -print_final_stats=1 \
        "$work" "tests/fuzz/corpus/$t" >"$FUZZ_BUILD/$t.log" 2>&1
    rc=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$FUZZ_BUILD/$t.log")
    echo "fuzz: $t: $FUZZ_SECONDS s, ${runs:-?} executions, status $rc"
    if [ "$rc" -ne 0 ]; then
        grep -E "ERROR|SUMMARY|Test unit written" "$FUZZ_BUILD/$t.log" | head -10
        failed=$((failed + 1))
    fi
done
[ "$failed" -eq 0 ]
