-- canon.lua RAW: prints an engine's answers in canonical form, so that the
-- answers of every engine can be compared with cmp.
--   lua5.4 bench/canon.lua answers.raw > answers.txt
-- RAW holds, for each query, a line "#Qk" and then one line per result row,
-- values separated by tabs, NULL for a null, numbers as the engine printed
-- them.  Canonical form: each value formatted by the type of its column
-- (integers as integers, floats with %.6g, NULL), rows sorted by bytes.
local types = {                            -- s text, i integer, f float
  Q1 = { "s", "i" },                       -- kind, n
  Q2 = { "s", "s", "i", "i", "f", "i" },   -- district, kind, n, members, avg_rev, workers
  Q3 = { "s", "i", "i", "i" },             -- commune, year, revenue, max_profit
  Q4 = { "i", "i" },                       -- org_id, revenue
  Q5 = { "s", "f" },                       -- sector, median_revenue
}
local order = { "Q1", "Q2", "Q3", "Q4", "Q5" }

local function fmt(v, t, q)
  if v == "NULL" or v == "null" or v == "nil" or v == "" then return "NULL" end
  if t == "s" then return v end
  local x = tonumber(v)
  if x == nil then error(q .. ": not a number: " .. v) end
  if t == "i" then
    local i = math.tointeger(x)
    if i == nil and x == math.floor(x) and math.abs(x) < 2 ^ 63 then i = math.tointeger(math.floor(x)) end
    if i == nil then return "NOT-AN-INTEGER:" .. v end
    return string.format("%d", i)
  end
  local s = string.format("%.6g", x + 0.0)
  if s == "-0" then s = "0" end
  return s
end

local rows, q = {}, nil
for line in assert(io.open(assert(arg[1], "usage: canon.lua RAW"), "rb")):lines() do
  local h = line:match("^#(Q%d)")
  if h then
    q = h
    rows[q] = rows[q] or {}
  elseif q and line ~= "" then
    local out, i = {}, 0
    for v in (line .. "\t"):gmatch("([^\t]*)\t") do
      i = i + 1
      out[i] = fmt(v, types[q][i] or "s", q)
    end
    if i ~= #types[q] then out[#out + 1] = "(" .. i .. " columns)" end
    rows[q][#rows[q] + 1] = table.concat(out, "\t")
  end
end
for _, k in ipairs(order) do
  print("#" .. k)
  local r = rows[k] or { "(no answer)" }
  table.sort(r)
  for _, l in ipairs(r) do print(l) end
end
