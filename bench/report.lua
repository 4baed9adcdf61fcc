-- report.lua OUT DATA REPEAT SLOW WRITE: the last step of bench/run.sh.
-- Reads each engine's times (OUT/NAME.times), peak memory (OUT/NAME.mem) and
-- answers (OUT/NAME.raw); checks that all engines answer alike (canonical
-- form of bench/canon.lua; the answer most engines give is the reference,
-- and an engine that differs is shown with its diff and marked invalid);
-- prints the table of times, ratios, memory and goals as markdown, and with
-- WRITE = 1 puts it into bench/README.md, between "<!-- bench:begin -->" and
-- "<!-- bench:end -->", in a block of its own for this row count.
local out, data, repeat_n, slow, write = arg[1], arg[2], arg[3], arg[4], arg[5] == "1"
local engines = {
  { "coopstat", "coopstat" }, { "duckdb-1", "DuckDB t=1" }, { "duckdb-2", "DuckDB t=2" },
  { "polars-1", "Polars t=1" }, { "polars-2", "Polars t=2" }, { "sqlite", "SQLite" },
  { "lua", "Lua 5.4" },
}
local steps = { "load", "Q1", "Q2", "Q3", "Q4", "Q5" }

local function slurp(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local s = f:read("a")
  f:close()
  return s
end
local function sh(cmd)                     -- first line of a command's output
  local p = io.popen(cmd .. " 2>/dev/null")
  local s = p and p:read("l") or nil
  if p then p:close() end
  return s
end

-- Times, memory and canonical answers of each engine that ran.
local res = {}
for _, e in ipairs(engines) do
  local name = e[1]
  local times = slurp(out .. "/" .. name .. ".times")
  local r = { name = name, label = e[2] }
  if times then
    r.t = {}
    for k, v in times:gmatch("(%w+) ([%d.]+)") do r.t[k] = tonumber(v) end
    r.mem = tonumber(slurp(out .. "/" .. name .. ".mem") or "")
    os.execute(string.format("lua5.4 bench/canon.lua '%s/%s.raw' > '%s/%s.txt'", out, name, out, name))
    r.answer = slurp(out .. "/" .. name .. ".txt")
    r.state = "ok"
  elseif slurp(out .. "/" .. name .. ".failed") then
    r.state = "failed"
  else
    r.state = "skipped"
  end
  res[#res + 1] = r
end

-- The reference answer: the one most engines give (the first such, in order).
local count, ref, refname = {}, nil, nil
for _, r in ipairs(res) do
  if r.answer then count[r.answer] = (count[r.answer] or 0) + 1 end
end
for _, r in ipairs(res) do
  if r.answer and (ref == nil or count[r.answer] > count[ref]) then ref, refname = r.answer, r.name end
end
local notes = {}
for _, r in ipairs(res) do
  if r.answer then
    if r.answer == ref then
      r.valid = true
    else
      r.state = "invalid"
      io.stderr:write(string.format("ANSWERS DIFFER: %s vs %s (< %s, > %s):\n", r.name,
        refname, refname, r.name))
      os.execute(string.format("diff '%s/%s.txt' '%s/%s.txt' | head -40 >&2", out, refname,
        out, r.name))
      notes[#notes + 1] = string.format("**%s gave different answers from %s: its times are "
        .. "marked ✗ and not counted** (diff in `%s/%s.txt`).", r.label, refname, out, r.name)
    end
  end
end

-- Sizes.
local meta = slurp(data .. ".meta") or ""
local rows = tonumber(meta:match("rows (%d+)")) or 0
local dict = tonumber(meta:match("dict_bytes (%d+)")) or 0
local raw = rows * (6 * 8 + 5 * 4) + 2 * ((rows + 7) // 8) + dict
local raw_cs = raw - 4 * rows               -- coopstat keeps dates in 4 bytes
local filesize = tonumber(sh("stat -c %s '" .. data .. "'")) or 0

local function secs(x)
  if not x then return "–" end
  if x >= 100 then return string.format("%.0f", x) end
  if x >= 1 then return string.format("%.2f", x) end
  return string.format("%.3g", x)
end
local function ratio(a, b)
  if not (a and b) or b <= 0 then return "–" end
  return string.format("%.2f", a / b)
end
local function mb(kb) return kb and string.format("%.0f", kb / 1024) or "–" end

local L = {}
local function add(s) L[#L + 1] = s end
local function fmtn(n) return tostring(n):reverse():gsub("(%d%d%d)", "%1,"):reverse():gsub("^,", "") end

local cpu = sh("grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'") or "?"
local memtotal = tonumber(sh("awk '/MemTotal/ { print $2 }' /proc/meminfo") or "0") or 0
local os_name = sh(". /etc/os-release && echo $PRETTY_NAME") or "?"
local function pkgver(p)
  local s = slurp("bench/node_modules/" .. p .. "/package.json")
  return s and s:match('"version"%s*:%s*"([^"]+)"') or "?"
end
local versions = string.format("DuckDB %s (@duckdb/node-api), nodejs-polars %s, node %s, "
  .. "sqlite3 %s, %s, coopstat %s (%s)", pkgver("@duckdb/node-api"), pkgver("nodejs-polars"),
  sh("node --version") or "?", (sh("sqlite3 --version") or "?"):match("^%S+"),
  (sh("lua5.4 -v") or "Lua 5.4"):match("^Lua %S+"), sh("git describe --always --dirty") or "?",
  (sh("cc --version") or "cc"):match("^[^(]*%b()%s*%S+") or "cc")

add(string.format("<!-- bench:rows=%d:begin -->", rows))
add(string.format("### %s rows (%.0f MB of CSV), %s", fmtn(rows), filesize / 1e6,
  slurp(out .. "/date"):gsub("%s+$", "")))
add("")
add(string.format("`BENCH_ROWS=%d make bench`: median of %s runs of each query (%s for SQLite "
  .. "and Lua), the load timed once. Machine: %d cores (%s), %.0f GB, %s; %s. At the start: %s.",
  rows, repeat_n, slow, tonumber(sh("nproc")) or 0, cpu, memtotal / 1048576, os_name, versions,
  (slurp(out .. "/load") or "?"):gsub("%s+$", "")))
add("")
local missing = {}
for _, r in ipairs(res) do
  if r.state == "skipped" or r.state == "failed" then missing[#missing + 1] = r.label .. " " .. r.state end
end
if #notes == 0 then
  add("Answers: every engine that ran gave the same answers to Q1–Q5"
    .. (#missing > 0 and (" (not run: " .. table.concat(missing, ", ") .. ")") or "") .. ".")
else
  for _, n in ipairs(notes) do add(n) end
  if #missing > 0 then add("Not run: " .. table.concat(missing, ", ") .. ".") end
end
add("")

-- Times.
local head, sep = { "seconds" }, { "---" }
for _, r in ipairs(res) do head[#head + 1] = r.label .. (r.state == "invalid" and " ✗" or ""); sep[#sep + 1] = "---:" end
add("| " .. table.concat(head, " | ") .. " |")
add("|" .. table.concat(sep, "|") .. "|")
for _, s in ipairs(steps) do
  local line = { s }
  for _, r in ipairs(res) do line[#line + 1] = r.t and secs(r.t[s]) or r.state end
  add("| " .. table.concat(line, " | ") .. " |")
end
local line = { "peak RSS, MB" }
for _, r in ipairs(res) do line[#line + 1] = r.t and mb(r.mem) or "–" end
add("| " .. table.concat(line, " | ") .. " |")
line = { "peak / raw columns" }
for _, r in ipairs(res) do
  line[#line + 1] = (r.t and r.mem and raw > 0) and string.format("%.2f", r.mem * 1024 / raw) or "–"
end
add("| " .. table.concat(line, " | ") .. " |")
add("")
add(string.format("Raw size of the columns as the issue counts it (8 bytes a value for the 5 "
  .. "integer columns and the date, 4 bytes a row for each of the 5 text columns plus their "
  .. "dictionaries, a validity bit a row for the 2 columns with nulls): %.0f MB; with "
  .. "coopstat's 4-byte dates: %.0f MB.", raw / 1048576, raw_cs / 1048576))
add("")

-- Ratios.
local cs
for _, r in ipairs(res) do if r.name == "coopstat" and r.valid then cs = r end end
if cs then
  head, sep = { "peer / coopstat" }, { "---" }
  for _, r in ipairs(res) do
    if r ~= cs and r.valid then head[#head + 1] = r.label; sep[#sep + 1] = "---:" end
  end
  add("Ratio *peer time / coopstat time* (above 1: coopstat is faster):")
  add("")
  add("| " .. table.concat(head, " | ") .. " |")
  add("|" .. table.concat(sep, "|") .. "|")
  for _, s in ipairs(steps) do
    line = { s }
    for _, r in ipairs(res) do
      if r ~= cs and r.valid then line[#line + 1] = ratio(r.t[s], cs.t[s]) end
    end
    add("| " .. table.concat(line, " | ") .. " |")
  end
  add("")
end

-- Goals (issue 3, section 3).
local function get(name)
  for _, r in ipairs(res) do if r.name == name and r.valid then return r end end
end
local d1, p1, sq = get("duckdb-1"), get("polars-1"), get("sqlite")
local goals = {}
local function goal(text, peer, peerlabel, stepsx, need)
  local figs, met, any = {}, true, false
  for _, s in ipairs(stepsx) do
    if cs and peer and cs.t[s] and peer.t[s] then
      local x = peer.t[s] / cs.t[s]
      figs[#figs + 1] = string.format("%s %.2f×", s, x)
      if x < need then met = false end
      any = true
    else
      met = false
    end
  end
  local status
  if not cs then status = "not measured (coopstat did not run or gave other answers)"
  elseif not peer then status = "not measured (" .. peerlabel .. " not run)"
  elseif not any then status = "not measured"
  else status = met and "**met**" or "**not met**" end
  goals[#goals + 1] = { text, #figs > 0 and table.concat(figs, ", ") or "–", status }
end
goal("Q1–Q3 at least 5× faster than DuckDB, threads=1", d1, "DuckDB", { "Q1", "Q2", "Q3" }, 5)
goal("Q4, Q5 at least 1.5× faster than DuckDB, threads=1", d1, "DuckDB", { "Q4", "Q5" }, 1.5)
goal("load faster than DuckDB, threads=1", d1, "DuckDB", { "load" }, 1)
goal("load faster than Polars, one thread", p1, "Polars", { "load" }, 1)
goal("every query at least 20× faster than SQLite in memory", sq, "SQLite",
  { "Q1", "Q2", "Q3", "Q4", "Q5" }, 20)
do
  local fig, status = "–", "not measured (coopstat did not run or gave other answers)"
  if cs and cs.mem then
    local x = cs.mem * 1024 / raw
    fig = string.format("%.0f MB peak / %.0f MB raw = %.2f× (%.2f× of the raw size with "
      .. "4-byte dates)", cs.mem / 1024, raw / 1048576, x, cs.mem * 1024 / raw_cs)
    status = x <= 1.5 and "**met**" or "**not met**"
  elseif cs then
    status = "not measured (no /usr/bin/time)"
  end
  goals[#goals + 1] = { "peak memory at most 1.5× the raw size of the columns", fig, status }
end
add("Goals of issue 3 (set for 10M rows, one thread; ratios are peer / coopstat):")
add("")
add("| goal | figure | status |")
add("|---|---|---|")
for _, g in ipairs(goals) do add("| " .. table.concat(g, " | ") .. " |") end
add(string.format("<!-- bench:rows=%d:end -->", rows))

local block = table.concat(L, "\n") .. "\n"
io.write("\n", block)

if write then
  -- Markers count only as whole lines (the prose may quote them).
  local readme = "\n" .. (slurp("bench/README.md") or "# Benchmarks\n")
  local b0 = "\n<!-- bench:begin -->\n"
  local e0 = "\n<!-- bench:end -->\n"
  local rb = string.format("\n<!-- bench:rows=%d:begin -->\n", rows)
  local re = string.format("\n<!-- bench:rows=%d:end -->\n", rows)
  local function plain(s) return (s:gsub("%p", "%%%0")) end
  if not readme:find(b0, 1, true) or not readme:find(e0, 1, true) then
    readme = readme:gsub("\n*$", "\n\n") .. b0:sub(2) .. e0:sub(2)
  end
  if readme:find(rb, 1, true) and readme:find(re, 1, true) then
    readme = readme:gsub(plain(rb) .. ".-" .. plain(re),
      function() return "\n" .. block end, 1)
  else                                     -- a new row count: last in the section
    readme = readme:gsub(plain(e0), function() return "\n" .. block .. e0 end, 1)
  end
  local f = assert(io.open("bench/README.md", "wb"))
  f:write(readme:sub(2))
  f:close()
  print("(written to bench/README.md)")
end
if #notes > 0 then os.exit(1) end          -- answers differ: make bench fails
