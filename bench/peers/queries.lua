-- queries.lua FILE REPEAT ANSWERS: the bench queries in plain Lua 5.4 over
-- Lua tables, as a script would do them without coopstat.
--   lua5.4 bench/peers/queries.lua bench/data/reports_1000000.csv 1 out.raw
-- Loads FILE into column arrays with a hand-written split (the bench file
-- has no quoted fields; an empty number is null, stored as false), then
-- runs Q1..Q5 as loops.  Prints "load S" and "Qk S" (median of REPEAT runs,
-- wall seconds) and writes the answers of the first run to ANSWERS in the
-- raw form that bench/canon.lua reads.
local file, repeat_n, answers = arg[1], tonumber(arg[2] or "1"), arg[3]
if file == nil then return end            -- no file: start-up only

local function now()                       -- wall seconds (Lua has only os.clock)
  local p = io.popen("date +%s.%N")
  local s = p:read("n")
  p:close()
  return s
end

local t0 = now()
local org, date, district, commune, kind, sector, status = {}, {}, {}, {}, {}, {}, {}
local members, workers, revenue, profit = {}, {}, {}, {}
local n = 0
local f = assert(io.open(file, "rb"))
f:read("l")                               -- header
local tonum, match = tonumber, string.match
local pat = "^([^,]*),([^,]*),([^,]*),([^,]*),([^,]*),([^,]*),([^,]*),([^,]*),([^,]*),([^,]*),([^,]*)$"
for line in f:lines() do
  n = n + 1
  local a, b, c, d, e, g, h, i, j, k, l = match(line, pat)
  org[n], date[n], district[n], commune[n], kind[n] = tonum(a), b, c, d, e
  sector[n], status[n], members[n], workers[n] = g, h, tonum(i), tonum(j)
  revenue[n], profit[n] = tonum(k) or false, tonum(l) or false
end
f:close()
print(string.format("load %.6f", now() - t0))
print(string.format("rows %d", n))

-- Year of an ISO date string, through a cache (there are few distinct dates).
local years = setmetatable({}, { __index = function(c, d)
  local y = tonumber(d:sub(1, 4)); c[d] = y; return y end })

local function fmt(v)
  if v == nil or v == false then return "NULL" end
  if math.type(v) == "integer" then return string.format("%d", v) end
  if math.type(v) == "float" then return string.format("%.17g", v) end
  return v
end
local function rows_out(rows)
  local out = {}
  for r, row in ipairs(rows) do
    for i = 1, row.n do row[i] = fmt(row[i]) end
    out[r] = table.concat(row, "\t")
  end
  return out
end
local function row(...) return { n = select("#", ...), ... } end

local queries = {
  { "Q1", function()
      local counts = {}
      for i = 1, n do
        if status[i] == "active" and years[date[i]] == 2023 then
          local k = kind[i]
          counts[k] = (counts[k] or 0) + 1
        end
      end
      local rows = {}
      for k, c in pairs(counts) do rows[#rows + 1] = row(k, c) end
      return rows
    end },
  { "Q2", function()
      local g = {}
      for i = 1, n do
        local byk = g[district[i]]
        if not byk then byk = {}; g[district[i]] = byk end
        local s = byk[kind[i]]
        if not s then s = { 0, 0, 0, 0, 0 }; byk[kind[i]] = s end
        s[1] = s[1] + 1
        s[2] = s[2] + members[i]
        local r = revenue[i]
        if r then s[3] = s[3] + r; s[4] = s[4] + 1 end
        s[5] = s[5] + workers[i]
      end
      local rows = {}
      for d, byk in pairs(g) do
        for k, s in pairs(byk) do
          rows[#rows + 1] = row(d, k, s[1], s[2], s[4] > 0 and s[3] / s[4] or nil, s[5])
        end
      end
      return rows
    end },
  { "Q3", function()
      local g = {}
      for i = 1, n do
        local byy = g[commune[i]]
        if not byy then byy = {}; g[commune[i]] = byy end
        local y = years[date[i]]
        local s = byy[y]
        if not s then s = { false, false }; byy[y] = s end
        local r, p = revenue[i], profit[i]
        if r then s[1] = (s[1] or 0) + r end
        if p and (not s[2] or p > s[2]) then s[2] = p end
      end
      local rows = {}
      for c, byy in pairs(g) do
        for y, s in pairs(byy) do rows[#rows + 1] = row(c, y, s[1], s[2]) end
      end
      return rows
    end },
  { "Q4", function()
      local sums = {}
      for i = 1, n do
        local r, o = revenue[i], org[i]
        if r then sums[o] = (sums[o] or 0) + r
        elseif sums[o] == nil then sums[o] = false end
      end
      -- top 10 by sum descending, then org_id; a null sum comes last
      local function before(a, sa, b, sb)
        if sa ~= sb then
          if not sb then return sa ~= false end
          if not sa then return false end
          return sa > sb
        end
        return a < b
      end
      local top = {}
      for o, s in pairs(sums) do
        local m = #top
        if m < 10 or before(o, s, top[m][1], top[m][2]) then
          local j = m < 10 and m + 1 or m
          while j > 1 and before(o, s, top[j - 1][1], top[j - 1][2]) do
            top[j] = top[j - 1]; j = j - 1
          end
          top[j] = { o, s }
        end
      end
      local rows = {}
      for i, e in ipairs(top) do rows[i] = row(e[1], e[2]) end
      return rows
    end },
  { "Q5", function()
      local vals = {}
      for i = 1, n do
        local r = revenue[i]
        if r then
          local v = vals[sector[i]]
          if not v then v = {}; vals[sector[i]] = v end
          v[#v + 1] = r
        end
      end
      local rows = {}
      for s, v in pairs(vals) do
        table.sort(v)
        local m = #v
        local med = m % 2 == 1 and v[(m + 1) // 2] + 0.0 or (v[m // 2] + v[m // 2 + 1]) / 2
        rows[#rows + 1] = row(s, med)
      end
      return rows
    end },
}

local out = answers and assert(io.open(answers, "wb"))
for _, q in ipairs(queries) do
  local times, res = {}, nil
  for r = 1, repeat_n do
    local s = now()
    local rows = q[2]()
    times[r] = now() - s
    if r == 1 then res = rows end
    collectgarbage()
  end
  table.sort(times)
  print(string.format("%s %.6f", q[1], times[(#times + 1) // 2]))
  if out then
    out:write("#", q[1], "\n")
    for _, l in ipairs(rows_out(res)) do out:write(l, "\n") end
  end
end
if out then out:close() end
