#!/bin/sh
# test_repl.sh: the REPL driven as a person drives it, in a tmux terminal
# (typing, Tab, Ctrl-C, Ctrl-D, reading the screen), and with standard
# input piped.  Prints "ok - ..." or "not ok - ..." per check and a
# summary; exits non-zero when a check fails.
# Usage: BUILD=build sh tests/test_repl.sh
# The history and the store are temporary files: never ~/.coopstat_history
# nor ./coopstat.db.

CHECKS_NAME=repl
. "$(dirname "$0")/checks.sh"

require_exe test_repl

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 1
HOME=$tmp/home
mkdir -p "$HOME"
COOPSTAT_HISTORY=$tmp/history
export HOME COOPSTAT_HISTORY
unset COOPSTAT_DB NO_COLOR
DB=$tmp/store.db
LUA=${LUA:-lua5.4}

# pipe LINE...: runs the REPL with the lines on standard input.
pipe() {
    printf '%s\n' "$@" >"$tmp/in"
    "$EXE" --db "$DB" <"$tmp/in" >"$tmp/out" 2>"$tmp/err"
    rc=$?
}

# lacks NAME FILE TEXT: ok when FILE (out or err) does not hold TEXT.
lacks() {
    if grep -qF -- "$3" "$tmp/$2"; then notok "$1"; else ok "$1"; fi
}

# ---------------------------------------------------------------------
# Standard input not a terminal
# ---------------------------------------------------------------------

pipe '1 + 1'
expect "piped: an expression shows its value" 0 out "2"
lacks "piped: no prompt" out "cs>"
if grep -q "$(printf '\033')" "$tmp/out" "$tmp/err"; then
    notok "piped: no colours"
else
    ok "piped: no colours"
fi
if [ -e "$DB" ]; then notok "piped: the store is not created unused"; else
    ok "piped: the store is not created unused"; fi

pipe 'local x = 20' 'x + 1' '6 * 7' '_ + 1'
expect "piped: a top-level local is kept" 0 out "21"
expect "piped: the last value is _" 0 out "43"

pipe 'local type, table = "HTX", 5' '{ type, table }' 'string.format("%d", rawlen(_G.table.pack(1, 2)))'
expect "piped: a top-level local does not reach _G" 0 out '{"HTX", 5}'
expect "piped: _G keeps its own" 0 out "2"

pipe 'function sq(x)' '  return x * x' 'end' 'sq(12)' 't = {' '  a = 1,' '}' 't.a + 100'
expect "piped: a multi-line function" 0 out "144"
expect "piped: a multi-line table" 0 out "101"

pipe 'y = 5' 'error("boom")' 'y * 3'
expect "piped: an error prints its message" 1 err "stdin:1: boom"
expect "piped: statements after an error run" 1 out "15"

pipe 'function f(' 
expect "piped: an unfinished chunk at the end is an error" 1 err "<eof>"

pipe 'x = ' '7' 'x'
expect "piped: a chunk continued on the next line" 0 out "7"

pipe '.load data/hoabinh/organizations.csv' '#organizations' \
     '.schema organizations' '.tables'
expect ".load: the dataset is named after the file" 0 out \
    "organizations: 729 rows, 14 columns"
expect ".load: the dataset is a global" 0 out "729"
expect ".schema NAME: columns and types" 0 out "founded           date"
expect ".tables: the session's datasets" 0 out "organizations  dataset   729       14"

pipe 'o = cs.read_csv("data/hoabinh/organizations.csv")' '.mode csv' \
     'o:head(2):select("org_id", "kind")' '.mode json' \
     'o:group_by("kind"):agg("count() as n")' '.mode table' 'o:head(1)'
expect ".mode csv" 0 out "org_id,kind"
expect ".mode json" 0 out '[{"kind":"HTX","n":521},'
expect ".mode table" 0 out "(1 row, 14 columns)"

pipe '.output '"$tmp"'/values.txt' '1234 * 2' 'print("to the file")' \
     '.output' '4321 * 2'
if grep -q 2468 "$tmp/values.txt" && grep -q "to the file" "$tmp/values.txt" &&
        ! grep -q 2468 "$tmp/out" && grep -q 8642 "$tmp/out"; then
    ok ".output FILE sends values and print() to FILE, .output back"
else
    notok ".output FILE sends values and print() to FILE, .output back"
fi

printf 'made_by_script = (arg[1] or "") .. "!"\n' >"$tmp/script.lua"
pipe ".run $tmp/script.lua yes" 'made_by_script'
expect ".run: the script's globals stay" 0 out "yes!"

pipe '.timer on' '1 + 1'
expect ".timer on" 0 out "time: "

pipe '.traceback on' 'function g() error("deep") end' 'g()'
expect ".traceback on: the traceback" 1 err "stack traceback:"

pipe '.help'
for c in .help .tables .schema .load .run .timer .mode .output .traceback .quit; do
    if grep -q "^$c " "$tmp/out"; then ok ".help lists $c"; else notok ".help lists $c"; fi
done

pipe '.nosuch'
expect "an unknown dot-command" 1 err "unknown command '.nosuch'"

pipe '10 + 1' '.quit' '20 + 2'
expect ".quit stops reading" 0 out "11"
lacks ".quit: nothing after it runs" out "22"

pipe 'db:write("t", cs.dataset({ a = { 1, 2, 3 } }))' 'db:read("t").a:sum() + 100' \
     '.schema t'
expect "db is the --db store" 0 out "106"
expect ".schema of a store table" 0 out "a       int64"
if [ -f "$DB" ]; then ok "db: the store is created when used"; else
    notok "db: the store is created when used"; fi

nfd=$(printf 'La\314\243c So\314\233n')
pipe "\"$nfd\" == \"Lạc Sơn\""
expect "decomposed input is made NFC" 0 out "true"

run_cmd "$EXE" repl --help
expect "repl --help" 0 out "usage: coopstat [repl]"
run_cmd "$EXE" help repl
expect "help repl" 0 out "usage: coopstat [repl]"
run_cmd "$EXE" repl --frobnicate
expect "repl with a bad option: status 2" 2 err "unknown option '--frobnicate'"
"$EXE" --db "$DB" </dev/null >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ "$rc" -eq 0 ] && [ ! -s "$tmp/out" ] && [ ! -s "$tmp/err" ]; then
    ok "no command: the REPL, which ends with its input"
else
    notok "no command: the REPL, which ends with its input"
fi

# ---------------------------------------------------------------------
# In a terminal (tmux)
# ---------------------------------------------------------------------

if ! command -v tmux >/dev/null 2>&1; then
    notok "tmux is not installed (make deps-test installs it)"
    finish test_repl
    exit
fi

T="tmux -S $tmp/tmux.sock -f /dev/null"
trap '$T kill-server >/dev/null 2>&1; rm -rf "$tmp"' EXIT INT TERM

# start NAME: a REPL in a 100x30 terminal; "[exit N]" when it ends.
start() {
    $T new-session -d -s "$1" -x 100 -y 30 -c "$root" \
        "env LANG=C.UTF-8 COOPSTAT_HISTORY='$COOPSTAT_HISTORY' HOME='$HOME' \
         '$EXE' --db '$DB'; echo \"[exit \$?]\"; sleep 600"
}

# screen NAME: the terminal's text, scrollback included, in $tmp/screen.
screen() {
    $T capture-pane -p -J -S -1000 -t "$1" >"$tmp/screen" 2>/dev/null
}

# wait_for NAME TEXT: polls the screen until TEXT shows (20 s at most).
wait_for() {
    i=0
    while [ $i -lt 200 ]; do
        screen "$1"
        grep -qF -- "$2" "$tmp/screen" && return 0
        sleep 0.1
        i=$((i + 1))
    done
    return 1
}

# see NAME CHECK TEXT: a check that TEXT shows on NAME's screen.
see() {
    if wait_for "$1" "$3"; then
        ok "$2"
    else
        notok "$2 (wanted '$3' on the screen)"
        grep -v '^ *$' "$tmp/screen" | sed 's/^/#   screen: /' | tail -15
    fi
}

# type NAME TEXT: types TEXT (literally) and Enter.
type_line() {
    $T send-keys -t "$1" -l -- "$2"
    $T send-keys -t "$1" Enter
}

keys() {
    n=$1
    shift
    $T send-keys -t "$n" "$@"
}

start a
see a "terminal: the banner" "coopstat 0.1.0"
see a "terminal: the prompt" "cs> "

type_line a '1000 + 42'
see a "terminal: an expression shows its value" "1042"
type_line a 'local kept = 7'
type_line a 'kept * 1111'
see a "terminal: a top-level local is kept" "7777"
type_line a '_ + 1'
see a "terminal: the last value is _" "7778"

type_line a 'orgs = cs.read_csv("data/hoabinh/organizations.csv")'
type_line a 'orgs'
see a "terminal: a dataset shows as a table" "(729 rows, 14 columns)"
see a "terminal: fitted to the height (30 lines: 24 rows)" "… 705 more rows"
# Aligned by display width, fitted to the width, numbers to the right.
if $LUA - "$tmp/screen" <<'EOF'
local lines = {}
for l in io.lines(arg[1]) do lines[#lines + 1] = l end
local h, row, foot
for i, l in ipairs(lines) do
  if l:match("^org_id") then h = i end
  if h and not row and l:find("Thái Bình", 1, true) then row = i end
  if h and l:match("^%(729 rows") then foot = i end
end
assert(h and row and foot, "no table")
local header, r = lines[h], lines[row]
local kind = utf8.len(header:sub(1, header:find("kind", 1, true) - 1))
local at = r:find("  HTX ", 12, true)
assert(at and utf8.len(r:sub(1, at + 1)) == kind, "kind not aligned")
assert(utf8.len(header) == utf8.len(r), "numbers not right-aligned")
assert(utf8.len(header) <= 100 and header:find("…", 1, true), "not fitted")
assert(foot - h + 1 == 28, "the table took " .. (foot - h + 1) .. " lines")
EOF
then
    ok "terminal: aligned by display width, fitted to width and height"
else
    notok "terminal: aligned by display width, fitted to width and height"
fi

type_line a 'function sq(x)'
see a "terminal: a continuation prompt" "..> "
type_line a 'return x * x'
type_line a 'end'
type_line a '"sq=" .. sq(12)'
see a "terminal: a multi-line function" "sq=144"

keys a -l 'orgs:gro'
keys a Tab
see a "terminal: Tab completes a method" "cs> orgs:group_by("
keys a -l '"kin'
keys a Tab
see a "terminal: Tab completes a column name" 'cs> orgs:group_by("kind"'
type_line a '):agg("count() as n")'
see a "terminal: the completed statement runs" "QTDND    4"
keys a -l 'cs.read_csv("data/hoabinh/organ'
keys a Tab
see a "terminal: Tab completes a file name" 'cs.read_csv("data/hoabinh/organizations.csv"'
keys a C-c
see a "terminal: Ctrl-C clears the line" 'organizations.csv"^C'
keys a -l 'half typed'
wait_for a 'cs> half typed'
keys a C-c
see a "terminal: Ctrl-C at the prompt" "cs> half typed^C"
type_line a '"v=" .. 2000 + 2'
see a "terminal: the prompt is fresh after Ctrl-C" "v=2002"

type_line a 't = {'
wait_for a 'cs> t = {'
keys a C-c
see a "terminal: Ctrl-C drops an unfinished chunk" "..> ^C"
type_line a '"v=" .. 3000 + 3'
see a "terminal: a new chunk after Ctrl-C" "v=3003"

# Each long statement says when it has started, so that Ctrl-C is not
# sent before it runs (the machine may be slow).
type_line a 'print("loop " .. "started") while true do end'
wait_for a "loop started"
keys a C-c
see a "terminal: Ctrl-C stops a Lua loop" "interrupted!"
type_line a '"v=" .. sq(5) * 1000 + kept'
see a "terminal: the session is intact after Ctrl-C" "v=25007"

type_line a 'print("sql " .. "started") n = db:query("WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c) SELECT count(*) AS n FROM c")'
wait_for a "sql started"
keys a C-c
see a "terminal: Ctrl-C stops SQL work" "query: interrupted"
type_line a 'd = db:query("WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c LIMIT 100000) SELECT i, i % 4 AS k FROM c")'
type_line a '"v=" .. #d + 1'
wait_for a "v=100001"
type_line a 'print("join " .. "started") j = d:join(d, "k")'
wait_for a "join started"
keys a C-c
see a "terminal: Ctrl-C stops a long C operation (a join)" "join: interrupted"
type_line a '"v=" .. #d + 2'
see a "terminal: the data survives" "v=100002"

type_line a 'error("boom")'
see a "terminal: an error prints its message" "stdin:1: boom"
type_line a '"v=" .. kept * 1000 + 1'
see a "terminal: the session survives an error" "v=7001"

type_line a "tostring(\"$nfd\" == \"Lạc Sơn\") .. \"!\""
see a "terminal: Vietnamese typed decomposed" "true!"

type_line a '.help'
see a "terminal: .help" ".traceback on|off"
type_line a '.timer on'
type_line a '"v=" .. 5000 + 5'
see a "terminal: .timer on" "time: "

keys a C-d
see a "terminal: Ctrl-D leaves" "[exit 0]"

if grep -qxF 'function sq(x)\nreturn x * x\nend' "$COOPSTAT_HISTORY" &&
        grep -qxF '1000 + 42' "$COOPSTAT_HISTORY" &&
        ! grep -qF 'half typed' "$COOPSTAT_HISTORY"; then
    ok "history: a multi-line chunk is one entry"
else
    notok "history: a multi-line chunk is one entry"
    sed 's/^/#   history: /' "$COOPSTAT_HISTORY" | head -20
fi

# Two REPLs at once keep both their histories; a chunk is recalled whole.
start b
start c
wait_for b "cs> "
wait_for c "cs> "
keys b C-r
keys b -l 'sq(x'
see b "history: Ctrl-R finds a multi-line chunk" 'function sq(x)'
keys b Enter
type_line b '"v=" .. sq(9)'
see b "history: a multi-line chunk recalled by Ctrl-R runs" "v=81"
type_line b '"from b 1"'
wait_for b 'from b 1'
type_line c '"from c 1"'
wait_for c 'from c 1'
type_line b '"from b 2"'
wait_for b 'from b 2'
keys c C-d
keys b C-d
wait_for b "[exit 0]"
wait_for c "[exit 0]"
if grep -qxF '"from b 1"' "$COOPSTAT_HISTORY" &&
        grep -qxF '"from c 1"' "$COOPSTAT_HISTORY" &&
        grep -qxF '"from b 2"' "$COOPSTAT_HISTORY" &&
        grep -qxF '1000 + 42' "$COOPSTAT_HISTORY"; then
    ok "history: two REPLs open at once both keep theirs"
else
    notok "history: two REPLs open at once both keep theirs"
fi

# Work that swallows the first Ctrl-C: a second within 2 s leaves.
start d
wait_for d "cs> "
type_line d 'print("start" .. "ed") while true do if not pcall(function() while true do end end) then print("swal" .. "lowed") end end'
wait_for d "started"
keys d C-c
wait_for d "swallowed"
keys d C-c
see d "terminal: a second Ctrl-C within 2 s leaves" "[exit 130]"

# A history grown past 12,500 entries is trimmed to the last 10,000.
seq 1 12600 | sed 's/^/x = /' >"$tmp/long_history"
$T new-session -d -s f -x 100 -y 30 -c "$root" \
    "env LANG=C.UTF-8 COOPSTAT_HISTORY='$tmp/long_history' '$EXE' --db '$DB'; \
     echo '[exit]'; sleep 600"
wait_for f "cs> "
keys f C-d
wait_for f "[exit]"
if [ "$(wc -l <"$tmp/long_history")" -eq 10000 ] &&
        [ "$(head -n 1 "$tmp/long_history")" = "x = 2601" ] &&
        [ "$(tail -n 1 "$tmp/long_history")" = "x = 12600" ]; then
    ok "history: trimmed to the last 10,000 entries"
else
    notok "history: trimmed to the last 10,000 entries"
fi

# Ctrl-Z at the prompt gives the terminal back to the shell; after fg the
# line is redrawn and edits as before.
if command -v bash >/dev/null 2>&1; then
    $T new-session -d -s e -x 100 -y 30 -c "$root" "env PS1='$ ' bash --norc -i"
    type_line e "env LANG=C.UTF-8 '$EXE' --db '$DB'"
    wait_for e "cs> "
    keys e -l 'tos'
    keys e C-z
    wait_for e "Stopped"
    type_line e 'fg'
    i=0 # until the line is drawn again
    while [ $i -lt 200 ]; do
        screen e
        [ "$(grep -c 'cs> tos' "$tmp/screen")" -ge 2 ] && break
        sleep 0.1
        i=$((i + 1))
    done
    type_line e 'tring(6 * 7) .. "!"'
    see e "terminal: Ctrl-Z, then fg: the line edits as before" "42!"
fi

finish test_repl
