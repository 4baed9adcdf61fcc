-- store_read.lua DB CSV REPEAT: times reading the bench table back:
-- cs.read_csv of the CSV against db:read of the same data in the store
-- (every column, and three), median of REPEAT runs each.  Prints
-- "name seconds rows" lines for bench/store.sh.
local cs = require("coopstat")
local dbpath, csv, n = arg[1], arg[2], tonumber(arg[3] or "3")
local db = cs.open(dbpath)

local function median(xs)
  table.sort(xs)
  return xs[(#xs + 1) // 2]
end

local function time(name, f)
  local ts, rows = {}, 0
  for i = 1, n do
    local s = cs.clock()
    local t = f()
    ts[i] = cs.clock() - s
    rows = #t
    t = nil
    collectgarbage()
  end
  print(string.format("%s %.6f %d", name, median(ts), rows))
end

time("read_csv", function() return cs.read_csv(csv) end)
time("db_read_all", function() return db:read("reports") end)
time("db_read_3", function()
  return db:read("reports", { "district", "report_date", "revenue_vnd" })
end)
db:close()
