#!/bin/sh
# test_install.sh: `make install PREFIX=...` puts the binary, the Lua
# module, the scripts and the data where they work; `make uninstall`
# removes them.  Prints "ok - ..." / "not ok - ..." lines.
root=$(cd "$(dirname "$0")/.." && pwd) || exit 1
cd "$root" || exit 1
tmp=$(mktemp -d "${TMPDIR:-/tmp}/coopstat-install.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
prefix=$tmp/prefix
status=0

check() {   # check NAME COMMAND...
    name=$1
    shift
    if "$@" >"$tmp/log" 2>&1; then
        echo "ok - install: $name"
    else
        echo "not ok - install: $name"
        sed 's/^/    /' "$tmp/log"
        status=1
    fi
}

check "make install" ${MAKE:-make} -s install PREFIX="$prefix"
check "binary runs" "$prefix/bin/coopstat" --version
check "module loads in a stock lua5.4" env \
    LUA_CPATH="$prefix/lib/lua/5.4/?.so" lua5.4 -e \
    'local cs = require "coopstat"; assert(#cs.read_csv("data/hoabinh/sectors.csv") == 7)'
check "scripts and data installed" test -f \
    "$prefix/share/coopstat/scripts/examples/overview.lua" -a -f \
    "$prefix/share/coopstat/data/hoabinh/organizations.csv"
check "installed overview runs on installed data" sh -c \
    "cd '$prefix/share/coopstat' && '$prefix/bin/coopstat' run scripts/examples/overview.lua | grep -q '12,460'"
check "make uninstall" ${MAKE:-make} -s uninstall PREFIX="$prefix"
check "nothing left" sh -c \
    "test -z \"\$(find '$prefix' -type f)\""
exit $status
