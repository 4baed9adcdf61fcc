# checks.sh: what the shell tests share (sourced by tests/test_cli.sh and
# tests/test_report.sh; not a test itself).  Sets EXE (absolute), a
# temporary directory $tmp removed at exit (named after $CHECKS_NAME), the
# counters and:
#   ok NAME, notok NAME            count a check and print its line
#   run_cmd COMMAND..., run ARGS...  run, leaving $tmp/out, $tmp/err, $rc
#   expect NAME STATUS out|err TEXT  the last run's status and output
#   check NAME COMMAND...          ok when COMMAND succeeds
#   require_exe NAME               stop with one failure unless EXE is built
#   finish NAME                    the summary line; the exit status

BUILD=${BUILD:-build}
EXE=${EXE:-$BUILD/coopstat}
case $EXE in /*) ;; *) EXE=$(pwd)/$EXE ;; esac

tmp=$(mktemp -d "${TMPDIR:-/tmp}/coopstat-${CHECKS_NAME:-test}.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM

pass=0
fail=0

ok() {
    pass=$((pass + 1))
    echo "ok - $1"
}

notok() {
    fail=$((fail + 1))
    echo "not ok - $1"
    if [ -s "$tmp/out" ]; then sed 's/^/#   stdout: /' "$tmp/out" | head -20; fi
    if [ -s "$tmp/err" ]; then sed 's/^/#   stderr: /' "$tmp/err" | head -20; fi
}

run_cmd() {
    "$@" >"$tmp/out" 2>"$tmp/err"
    rc=$?
}

run() {
    run_cmd "$EXE" "$@"
}

# expect NAME STATUS FILE TEXT: the last run exited with STATUS and FILE
# (out or err) contains the fixed string TEXT.
expect() {
    if [ "$rc" -eq "$2" ] && grep -qF -- "$4" "$tmp/$3"; then
        ok "$1"
    else
        notok "$1 (status $rc, wanted $2 and '$4' in std$3)"
    fi
}

# check NAME COMMAND...: ok when COMMAND succeeds.
check() {
    name=$1
    shift
    if "$@" >/dev/null 2>&1; then ok "$name"; else notok "$name"; fi
}

# require_exe NAME: the program must be built, else one failed check.
require_exe() {
    if [ ! -x "$EXE" ]; then
        echo "not ok - $EXE is not built"
        echo "$1: 0 passed, 1 failed"
        exit 1
    fi
}

finish() {
    echo "$1: $pass passed, $fail failed"
    [ "$fail" -eq 0 ]
}
