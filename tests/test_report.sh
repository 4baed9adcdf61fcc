#!/bin/sh
# test_report.sh: `coopstat report` end to end on the sample data: usage
# errors, an empty store, the HTML, Markdown and XLSX files, and the HTML
# rendered in headless Chromium, checked on its DOM (tests/report_check.html
# loads the report in a frame) and by a screenshot.  Prints "ok - ..." or
# "not ok - ..." per check; exits non-zero when a check fails.
#   BUILD=build sh tests/test_report.sh
# Chromium is required (make deps-test installs it): without it the
# browser checks fail, saying why.  $CHROMIUM names another binary.

CHECKS_NAME=report
. "$(dirname "$0")/checks.sh"
root=$(cd "$(dirname "$0")/.." && pwd) || exit 1

# no_leftovers NAME FILE: no FILE.tmp-* is left.
no_leftovers() {
    set -- "$1" "$2".tmp-*
    if [ -e "$2" ]; then notok "$1 (left $2)"; else ok "$1"; fi
}

require_exe test_report

db=$tmp/s.db

# --- usage errors (status 2, nothing written) -----------------------------
run --db "$db" report --out "$tmp/u.html"
expect "report without --period: usage" 2 err "missing --period"
expect "a usage error shows the usage" 2 err "usage: coopstat report"
run --db "$db" report --period 2023H1
expect "report without --out: usage" 2 err "missing --out"
run --db "$db" report --period 2023H1 --out "$tmp/u.html" --format pdf
expect "bad --format" 2 err "--format 'pdf' is not html, xlsx or md"
for n in abc 0 -1 1.5 ""; do
    run --db "$db" report --period 2023H1 --out "$tmp/u.html" --min-cell "$n"
    expect "bad --min-cell '$n'" 2 err "--min-cell '$n' is not an integer >= 1"
done
run --db "$db" report --period 2023X --out "$tmp/u.html"
expect "bad --period" 2 err "--period '2023X' is not a period"
run --db "$db" report --period 2023H1 --out "$tmp/u.html" --bogus
expect "unknown option" 2 err "unknown option '--bogus'"
run --db "$db" report --period 2023H1 --out "$tmp/u.html" extra
expect "extra argument" 2 err "unexpected argument 'extra'"
run report --help
expect "report --help" 0 out "--min-cell N"
run help report
expect "help report" 0 out "usage: coopstat report"
check "no file after usage errors" test ! -e "$tmp/u.html"

# --- a store without indicator values ---------------------------------------
run --db "$db" init --sample
expect "init --sample" 0 err "store ready"
run --db "$db" report --period 2023H1 --out "$tmp/none.html"
expect "no values: status 1" 1 err \
    "no indicator values for period 2023H1 in $db: run 'coopstat indicators run --period 2023H1' first"
check "no values: no file" test ! -e "$tmp/none.html"
no_leftovers "no values: no temporary file" "$tmp/none.html"

run --db "$db" indicators run --period 2023H1
expect "indicators run" 0 out "24 computed, 0 failed"

# --- HTML ------------------------------------------------------------------
run --db "$db" report --period 2023H1 --out "$tmp/r.html"
expect "report: status 0 with findings" 0 out "wrote $tmp/r.html: 24 indicators, "
expect "report: the summary line" 0 out " cells suppressed, 4 findings"
if grep -qE '^wrote .*: 24 indicators, [1-9][0-9]* cells suppressed, 4 findings$' "$tmp/out"
then ok "report: one line, cells suppressed counted"
else notok "report: one line, cells suppressed counted"; fi
check "report: the file" test -s "$tmp/r.html"
no_leftovers "report: no temporary file" "$tmp/r.html"
check "html: lang=vi" grep -qF '<html lang="vi">' "$tmp/r.html"
check "html: no external URL" sh -c "! grep -qiE '(src|href)=\"?(https?:)?//' '$tmp/r.html'"
check "html: no script" sh -c "! grep -qi '<script' '$tmp/r.html'"
check "html: Vietnamese numbers" grep -qF '12.460 người' "$tmp/r.html"
check "html: money in millions" grep -qF '1.302 triệu đồng' "$tmp/r.html"
check "html: published beside" grep -qF '1,3 tỷ đồng' "$tmp/r.html"
check "html: programme figures" grep -qF '570,18 triệu đồng' "$tmp/r.html"
# QTDND capital by district comes from one fund each: not in the report.
for v in 231480000000 231.480 '>231<' '>198<' '>144<' 3406000000 '>3.406<'; do
    check "html: suppressed value $v absent" sh -c "! grep -qF -- '$v' '$tmp/r.html'"
done

# --min-cell 1 suppresses nothing.
run --db "$db" report --period 2023H1 --out "$tmp/all.html" --min-cell 1
expect "--min-cell 1" 0 out "24 indicators, 0 cells suppressed, 4 findings"
check "--min-cell 1 shows the capital by district" grep -qF '>231<' "$tmp/all.html"

# The store's path from $COOPSTAT_DB as well as --db.
COOPSTAT_DB=$db "$EXE" report --period 2023H1 --out "$tmp/env.md" \
    >"$tmp/out" 2>"$tmp/err"
rc=$?
expect "\$COOPSTAT_DB" 0 out "wrote $tmp/env.md"

# --- Markdown ----------------------------------------------------------------
run --db "$db" report --period 2023H1 --out "$tmp/r.md"
expect "md by extension" 0 out "wrote $tmp/r.md"
check "md: a pipe table" grep -qF '|---|---|---:|---:|---:|---|' "$tmp/r.md"
check "md: members" grep -qF '| members | Thành viên các tổ chức KTTT | 12.460 người |' "$tmp/r.md"
check "md: a suppressed cell" grep -qE '^\| qtdnd_capital \| [^|]+ \|  \| x \| tỷ đồng \| ẩn sơ cấp \|$' "$tmp/r.md"
check "md: four findings" test "$(grep -c '^### [0-9]\. ' "$tmp/r.md")" -eq 4
check "md: lineage" grep -qE '^\| 1 \| organizations \| [0-9a-f]{64} \| 729 \|$' "$tmp/r.md"

run --db "$db" report --period 2023H1 --out "$tmp/r.txt" --format md
expect "--format md over the extension" 0 out "wrote $tmp/r.txt"
check "--format md: Markdown" grep -q '^# Báo cáo' "$tmp/r.txt"

# --- XLSX --------------------------------------------------------------------
run --db "$db" report --period 2023H1 --out "$tmp/r.xlsx"
expect "xlsx by extension" 0 out "wrote $tmp/r.xlsx"
no_leftovers "xlsx: no temporary file" "$tmp/r.xlsx"
if command -v python3 >/dev/null 2>&1; then
    # Reads sheet 1 (shared strings resolved) and the district sheet.
    cat >"$tmp/xlsx.py" <<'EOF'
import sys, zipfile, re
import xml.etree.ElementTree as ET
NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
z = zipfile.ZipFile(sys.argv[1])
bad = z.testzip()
if bad: sys.exit("corrupt member " + bad)
names = z.namelist()
for n in ("xl/workbook.xml", "xl/worksheets/sheet1.xml", "xl/worksheets/sheet2.xml",
          "xl/sharedStrings.xml", "[Content_Types].xml"):
    if n not in names: sys.exit("missing " + n)
sst = [("".join(t.text or "" for t in si.iter("{%s}t" % NS["m"])))
       for si in ET.fromstring(z.read("xl/sharedStrings.xml")).findall("m:si", NS)]
def sheet(n):
    rows = {}
    root = ET.fromstring(z.read("xl/worksheets/sheet%d.xml" % n))
    for c in root.iter("{%s}c" % NS["m"]):
        ref, t = c.get("r"), c.get("t")
        v = c.find("m:v", NS)
        if v is None: continue
        val = sst[int(v.text)] if t == "s" else (v.text if t else float(v.text))
        col, row = re.match(r"([A-Z]+)(\d+)", ref).groups()
        rows.setdefault(int(row), {})[col] = val
    return rows
wb = ET.fromstring(z.read("xl/workbook.xml"))
sheets = [s.get("name") for s in wb.iter("{%s}sheet" % NS["m"])]
assert sheets[:4] == ["Chỉ tiêu", "Theo huyện", "Kiểm tra", "Nguồn gốc"], sheets
s1 = sheet(1)
assert s1[1]["A"] == "Mã" and s1[1]["D"] == "Giá trị", s1[1]
ids = {r["A"]: r for n, r in s1.items() if n > 1}
assert len(ids) == 24, len(ids)
assert ids["members"]["D"] == 12460.0, ids["members"]
assert ids["members"]["B"] == "Thành viên các tổ chức KTTT", ids["members"]["B"]
assert ids["htx_revenue_avg"]["D"] == 1302150000.0, ids["htx_revenue_avg"]
assert ids["orgs_operating"]["G"] == 597.0, ids["orgs_operating"]
s2 = sheet(2)
xs = [r for r in s2.values() if r.get("E") == "x"]
assert xs, "no suppressed cell in the district sheet"
for r in s2.values():
    if r.get("A") == "qtdnd_capital": assert r.get("E") == "x", r
s3 = sheet(3)
assert sum(1 for r in s3.values() if r.get("F") is not None and r.get("C") == "trái") == 4, s3
pane = z.read("xl/worksheets/sheet1.xml").decode()
assert 'state="frozen"' in pane, "first row not frozen"
print("xlsx ok")
EOF
    if python3 "$tmp/xlsx.py" "$tmp/r.xlsx" >"$tmp/out" 2>"$tmp/err"; then
        ok "xlsx: a workbook with the indicators, districts, findings (python3 zipfile)"
    else
        notok "xlsx: a workbook with the indicators, districts, findings (python3 zipfile)"
    fi
elif command -v unzip >/dev/null 2>&1; then
    if unzip -l "$tmp/r.xlsx" >"$tmp/out" 2>"$tmp/err" &&
            grep -q 'xl/worksheets/sheet1.xml' "$tmp/out" &&
            unzip -p "$tmp/r.xlsx" xl/sharedStrings.xml | grep -qF 'Thành viên các tổ chức KTTT'
    then ok "xlsx: a zip with sheet1.xml and the titles (unzip)"
    else notok "xlsx: a zip with sheet1.xml and the titles (unzip)"; fi
else
    notok "xlsx: neither python3 nor unzip to read the workbook"
fi

# --- writing fails: the file names itself, nothing is left ------------------
run --db "$db" report --period 2023H1 --out "$tmp/no/such/dir/r.html"
expect "missing directory: status 1" 1 err "cannot write $tmp/no/such/dir/r.html"
mkdir "$tmp/adir"
run --db "$db" report --period 2023H1 --out "$tmp/adir" --format xlsx
expect "out is a directory: status 1" 1 err "cannot write $tmp/adir"
no_leftovers "out is a directory: no temporary file" "$tmp/adir"

# --- the HTML in a browser ----------------------------------------------------
chromium=
for c in "${CHROMIUM:-}" chromium chromium-browser google-chrome; do
    if [ -n "$c" ] && command -v "$c" >/dev/null 2>&1; then
        chromium=$(command -v "$c")
        break
    fi
done
if [ -z "$chromium" ]; then
    notok "browser: chromium not found (the HTML report must be checked in it; run 'make deps-test' as root or 'apt-get install chromium')"
    finish test_report
    exit
fi

# browse ARGS...: runs headless Chromium with a fresh profile, no network
# and a 60 s limit.
browse() {
    timeout 60 "$chromium" --headless --no-sandbox --disable-gpu --disable-quic \
        --no-first-run --disable-background-networking --disable-component-update \
        --disable-sync --disable-extensions --hide-scrollbars \
        --user-data-dir="$tmp/profile" --allow-file-access-from-files "$@"
}

cp "$root/tests/report_check.html" "$tmp/harness.html"
cp "$tmp/r.html" "$tmp/report.html"
browse --virtual-time-budget=5000 --dump-dom "file://$tmp/harness.html" \
    >"$tmp/dom" 2>"$tmp/chromium.err"
rc=$?
result=$(sed -n 's:.*<title>\(.*\)</title>.*:\1:p' "$tmp/dom" | head -1)
if [ "$rc" -eq 0 ] && [ "$result" = PASS ]; then
    ok "browser: the report's DOM (tables, charts, findings, suppression, no URL)"
else
    echo "# chromium status $rc; result: ${result:-none}"
    tail -5 "$tmp/chromium.err" | sed 's/^/#   chromium: /'
    notok "browser: the report's DOM (tables, charts, findings, suppression, no URL)"
fi
sed -n 's:.*<pre id="log">\(.*\)</pre>.*:\1:p' "$tmp/dom" | tr '|' '\n' | sed 's/^/#   /'

browse --screenshot="$tmp/r.png" --window-size=1200,3000 "file://$tmp/report.html" \
    >/dev/null 2>"$tmp/chromium.err"
size=$(wc -c <"$tmp/r.png" 2>/dev/null || echo 0)
if [ "$(head -c 8 "$tmp/r.png" 2>/dev/null | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] &&
        [ "$size" -gt 100000 ]; then
    ok "browser: a screenshot of the report ($size bytes)"
else
    tail -5 "$tmp/chromium.err" | sed 's/^/#   chromium: /'
    notok "browser: a screenshot of the report (a PNG over 100 kB; got $size bytes)"
fi

finish test_report
