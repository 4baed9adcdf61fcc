-- csv_read.lua FILE: plain Lua 5.4 reading the bench CSV into column
-- arrays (numbers converted), as a script would without coopstat.
-- The bench file has no quoted fields, so splitting on commas is exact.
local file = arg[1]
if file == nil then return end            -- "noop": start-up only
local cols, names = {}, {}
local f = assert(io.open(file, "rb"))
local header = f:read("l")
for name in header:gmatch("[^,]+") do names[#names + 1] = name; cols[#names] = {} end
local numeric = { org_id = true, members = true, workers = true, revenue_vnd = true,
                  profit_vnd = true, score = true }
local n = 0
for line in f:lines() do
  n = n + 1
  local i, pos = 1, 1
  while true do
    local stop = line:find(",", pos, true)
    local field = line:sub(pos, (stop or 0) - 1)
    if numeric[names[i]] then field = tonumber(field) end
    cols[i][n] = field
    if not stop then break end
    pos, i = stop + 1, i + 1
  end
end
f:close()
local sum = 0
for _, v in ipairs(cols[6]) do sum = sum + v end
print(n, sum)
