-- sqlite.lua FILE REPEAT ANSWERS: the bench in the sqlite3 shell, in memory.
--   lua5.4 bench/peers/sqlite.lua bench/data/reports_1000000.csv 1 out.raw
-- Writes a script for `sqlite3 :memory:` that imports FILE into a typed
-- table (.import; an empty number becomes null), then runs Q1..Q5 REPEAT
-- times each under `.timer on`; reads the shell's output and prints "load S"
-- (wall time of the import, from julianday('now') before and after) and
-- "Qk S" (median "Run Time: real" of the REPEAT runs), and writes the
-- answers of the first run to ANSWERS (the raw form of bench/canon.lua).
local file, repeat_n, answers = arg[1], tonumber(arg[2] or "1"), arg[3]
local sqlite = os.getenv("SQLITE3") or "sqlite3"
if file == nil then return end            -- no file: start-up only
assert(not file:find("[\n']"), "file name with a quote or newline")

local queries = {
  { "Q1", [[select kind, count(*) from t
            where status = 'active' and report_date between '2023-01-01' and '2023-12-31'
            group by kind]] },
  { "Q2", [[select district, kind, count(*), sum(members), avg(revenue_vnd), sum(workers)
            from t group by district, kind]] },
  { "Q3", [[select commune, cast(substr(report_date, 1, 4) as integer) as year,
                   sum(revenue_vnd), max(profit_vnd)
            from t group by commune, year]] },
  { "Q4", [[select org_id, sum(revenue_vnd) as revenue from t group by org_id
            order by revenue desc nulls last, org_id limit 10]] },
  -- No median in SQLite: the mean of the middle one or two values of each sector.
  { "Q5", [[select sector, avg(revenue_vnd) from (
              select sector, revenue_vnd,
                     row_number() over (partition by sector order by revenue_vnd) as rn,
                     count(*) over (partition by sector) as cnt
              from t where revenue_vnd is not null)
            where rn in ((cnt + 1) / 2, (cnt + 2) / 2) group by sector]] },
}

local now = "(julianday('now') - 2440587.5) * 86400.0"
local script = {
  ".mode tabs", ".headers off", ".nullvalue NULL",
  "create table t(org_id integer, report_date text, district text, commune text, kind text,"
    .. " sector text, status text, members integer, workers integer, revenue_vnd integer,"
    .. " profit_vnd integer);",
  "select '#T0', " .. now .. ";",
  ".import --csv --skip 1 '" .. file .. "' t",
  "update t set revenue_vnd = null where revenue_vnd = '';",
  "update t set profit_vnd = null where profit_vnd = '';",
  "select '#T1', " .. now .. ";",
  "select '#N', count(*) from t;",
}
for _, q in ipairs(queries) do
  for r = 1, repeat_n do
    script[#script + 1] = "select '#" .. q[1] .. "', " .. r .. ";"
    script[#script + 1] = ".timer on"
    script[#script + 1] = q[2]:gsub("%s+", " ") .. ";"
    script[#script + 1] = ".timer off"
  end
end
local sqlfile = os.tmpname()
local f = assert(io.open(sqlfile, "wb"))
f:write(table.concat(script, "\n"), "\n")
f:close()

local p = assert(io.popen(sqlite .. " -bail :memory: < " .. sqlfile .. " 2>&1"))
local t0, t1, cur, r
local times, rows = {}, {}
for line in p:lines() do
  local tag, v = line:match("^#(%w+)\t(.*)$")
  if tag == "T0" then t0 = tonumber(v)
  elseif tag == "T1" then t1 = tonumber(v)
  elseif tag == "N" then print("rows " .. v)
  elseif tag then
    cur, r = tag, tonumber(v)
    times[cur] = times[cur] or {}
    rows[cur] = rows[cur] or {}
  else
    local rt = line:match("^Run Time: real ([%d.]+)")
    if rt then
      times[cur][r] = tonumber(rt)
    elseif cur and r == 1 then
      rows[cur][#rows[cur] + 1] = line
    elseif not cur then
      io.stderr:write(line, "\n")         -- an error of the import
    end
  end
end
local ok = p:close()
os.remove(sqlfile)
if not (ok and t0 and t1) then error("sqlite3 failed") end
print(string.format("load %.6f", t1 - t0))
local out = answers and assert(io.open(answers, "wb"))
for _, q in ipairs(queries) do
  local ts = times[q[1]]
  table.sort(ts)
  print(string.format("%s %.6f", q[1], ts[(#ts + 1) // 2]))
  if out then
    out:write("#", q[1], "\n")
    for _, l in ipairs(rows[q[1]]) do out:write(l, "\n") end
  end
end
if out then out:close() end
