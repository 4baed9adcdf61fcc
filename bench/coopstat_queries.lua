-- coopstat_queries.lua FILE REPEAT ANSWERS: coopstat's side of the bench.
--   build/coopstat run bench/coopstat_queries.lua bench/data/reports_1000000.csv 3 out.raw
-- Loads FILE (timed once: "load"), then runs Q1..Q5 REPEAT times each and
-- prints the median seconds of each ("Q1 0.0123"); the answers of the first
-- run go to ANSWERS in the raw form that bench/canon.lua reads.  The
-- queries are written as an analyst writes them (see bench/README.md).
local cs = require("coopstat")
local file, repeat_n, answers = arg[1], tonumber(arg[2] or "3"), arg[3]
if file == nil then return end            -- no file: start-up only

local queries = {
  { "Q1", function(t)
      return t:filter("status == 'active' and year(report_date) == 2023")
              :group_by("kind"):agg("count() as n")
    end, { "kind", "n" } },
  { "Q2", function(t)
      return t:group_by("district", "kind"):agg("count() as n", "sum(members) as members",
               "mean(revenue_vnd) as avg_rev", "sum(workers) as workers")
    end, { "district", "kind", "n", "members", "avg_rev", "workers" } },
  { "Q3", function(t)
      return t:mutate("year(report_date) as year"):group_by("commune", "year")
              :agg("sum(revenue_vnd) as revenue", "max(profit_vnd) as max_profit")
    end, { "commune", "year", "revenue", "max_profit" } },
  { "Q4", function(t)
      return t:group_by("org_id"):agg("sum(revenue_vnd) as revenue")
              :sort("revenue desc", "org_id"):head(10)
    end, { "org_id", "revenue" } },
  { "Q5", function(t)
      return t:group_by("sector"):agg("median(revenue_vnd) as median_revenue")
    end, { "sector", "median_revenue" } },
}

local function value(v)
  if v == nil then return "NULL" end
  if math.type(v) == "integer" then return string.format("%d", v) end
  if math.type(v) == "float" then return string.format("%.17g", v) end
  return tostring(v)
end

local function median(xs)
  table.sort(xs)
  return xs[(#xs + 1) // 2]
end

local t0 = cs.clock()
local t = cs.read_csv(file)
local load = cs.clock() - t0
print(string.format("load %.6f", load))
print(string.format("rows %d", #t))

-- Each run ends with the answer read out into Lua values (as the peers'
-- runs end with theirs), so that nothing is left to do later.
local function answer(ds, cols)
  local rows = {}
  for row in ds:rows() do
    local vals = {}
    for i, c in ipairs(cols) do vals[i] = row[c] end
    rows[#rows + 1] = { n = #cols, table.unpack(vals, 1, #cols) }
  end
  return rows
end

local out = answers and assert(io.open(answers, "wb"))
for _, q in ipairs(queries) do
  local name, run, cols = q[1], q[2], q[3]
  local times, res = {}, nil
  for r = 1, repeat_n do
    local s = cs.clock()
    local rows = answer(run(t), cols)
    times[r] = cs.clock() - s
    if r == 1 then res = rows end
    collectgarbage()                       -- results of earlier runs go now
  end
  print(string.format("%s %.6f", name, median(times)))
  if out then
    out:write("#", name, "\n")
    for _, row in ipairs(res) do
      local vals = {}
      for i = 1, row.n do vals[i] = value(row[i]) end
      out:write(table.concat(vals, "\t"), "\n")
    end
  end
end
if out then out:close() end
