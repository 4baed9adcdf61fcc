#!/bin/sh
# run.sh: runs every test and prints one summary line "N passed, N failed".
#   BUILD=build sh tests/run.sh build/tests/test_*     (what `make test` does)
# Runs each cmocka binary given (counting its PASSED/FAILED lines), each
# tests/lua/test_*.lua through $BUILD/coopstat (one test each),
# tests/test_cli.sh, test_report.sh, test_jobs.sh and test_repl.sh (one
# test per check; the REPL's needs tmux) and
# tests/lua/test_api.lua under a stock lua5.4 with LUA_CPATH=$BUILD/?.so
# (one test).
# Exits non-zero when anything failed or crashed.

BUILD=${BUILD:-build}
LUA=${LUA:-lua5.4}

root=$(cd "$(dirname "$0")/.." && pwd) || exit 1
abs() {
    case $1 in
        /*) printf '%s\n' "$1" ;;
        *) printf '%s/%s\n' "$(pwd)" "$1" ;;
    esac
}
BUILD=$(abs "$BUILD")
n=$#
for b in "$@"; do set -- "$@" "$(abs "$b")"; done
shift "$n"
cd "$root" || exit 1

tmp=$(mktemp -d "${TMPDIR:-/tmp}/coopstat-test.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM

passed=0
failed=0

# count FILE PATTERN: the sum of the numbers in lines "PATTERN N test(s)".
count() {
    sed -n "s/^$2 \\([0-9][0-9]*\\) test.*/\\1/p" "$1" |
        awk '{ s += $1 } END { print s + 0 }'
}

# --- cmocka binaries -----------------------------------------------------
for bin in "$@"; do
    name=$(basename "$bin")
    case $name in *.d | *.o) continue ;; esac   # from a shell glob
    if [ ! -x "$bin" ]; then
        echo "run.sh: $bin is not an executable test"
        failed=$((failed + 1))
        continue
    fi
    echo "== $name"
    "$bin" >"$tmp/out" 2>&1
    rc=$?
    cat "$tmp/out"
    p=$(count "$tmp/out" '\[  PASSED  \]')
    f=$(count "$tmp/out" '\[  FAILED  \]')
    passed=$((passed + p))
    failed=$((failed + f))
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        echo "run.sh: $name exited with status $rc"
        failed=$((failed + 1))
    elif [ "$p" -eq 0 ] && [ "$f" -eq 0 ]; then
        echo "run.sh: $name printed no cmocka summary"
        failed=$((failed + 1))
    fi
done

# --- Lua scripts through the CLI ----------------------------------------
for script in tests/lua/test_*.lua; do
    [ -f "$script" ] || continue
    echo "== $script"
    if "$BUILD/coopstat" run "$script"; then
        passed=$((passed + 1))
    else
        echo "run.sh: $script failed"
        failed=$((failed + 1))
    fi
done

# --- the command line and the report (one test per "ok -" line) ---------
# The report's test renders its HTML in headless Chromium; the REPL's is
# typed in a tmux terminal.
for script in tests/test_cli.sh tests/test_report.sh tests/test_jobs.sh tests/test_crash.sh \
              tests/test_badinput.sh tests/test_diskfull.sh \
              tests/test_repl.sh; do
    echo "== $script"
    BUILD="$BUILD" sh "$script" >"$tmp/out" 2>&1
    rc=$?
    cat "$tmp/out"
    p=$(grep -c '^ok - ' "$tmp/out")
    f=$(grep -c '^not ok - ' "$tmp/out")
    passed=$((passed + p))
    failed=$((failed + f))
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        echo "run.sh: $script exited with status $rc"
        failed=$((failed + 1))
    fi
done

# --- make install / uninstall ---------------------------------------------
# Skipped under the sanitizers: an installed ASan binary is not the point.
case $BUILD in
    *-san) echo "== tests/test_install.sh: skipped (sanitizer build)" ;;
    *)
        echo "== tests/test_install.sh"
        sh tests/test_install.sh >"$tmp/out" 2>&1
        cat "$tmp/out"
        passed=$((passed + $(grep -c '^ok - ' "$tmp/out")))
        failed=$((failed + $(grep -c '^not ok - ' "$tmp/out")))
        ;;
esac

# --- the module under a stock Lua ------------------------------------------
# A sanitized module needs its sanitizer runtime loaded first: gcc's
# libasan (which the module names as NEEDED), or clang's runtime.
echo "== $LUA tests/lua/test_api.lua (LUA_CPATH=$BUILD/?.so)"
preload=
skip=
if ! command -v "$LUA" >/dev/null 2>&1; then
    skip="$LUA not found"
elif [ ! -f "$BUILD/coopstat.so" ]; then
    skip="$BUILD/coopstat.so not built"
elif nm -D "$BUILD/coopstat.so" 2>/dev/null | grep -q '__asan_init'; then
    if readelf -d "$BUILD/coopstat.so" 2>/dev/null | grep -q 'libasan'; then
        preload=$(${CC:-cc} -print-file-name=libasan.so 2>/dev/null)
    else
        preload=$(${CC:-cc} -print-file-name="libclang_rt.asan-$(uname -m).so" \
                  2>/dev/null)
    fi
    case $preload in
        /*) [ -f "$preload" ] || skip="no sanitizer runtime to preload" ;;
        *) skip="no sanitizer runtime to preload" ;;
    esac
fi
if [ -n "$skip" ]; then
    echo "skipped: $skip"
elif LD_PRELOAD="$preload" ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0}" \
        LUA_CPATH="$BUILD/?.so" "$LUA" tests/lua/test_api.lua; then
    passed=$((passed + 1))
else
    echo "run.sh: $LUA tests/lua/test_api.lua failed"
    failed=$((failed + 1))
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
