-- gen_reports.lua: writes N half-year reports of cooperatives for the benchmarks.
--   lua5.4 bench/gen_reports.lua N OUT.csv
-- Deterministic: its own splitmix64 generator, plain Lua 5.4, no coopstat.
-- Columns, like the sample data in data/hoabinh/:
--   org_id       int, N * 0.06 distinct ids (600,000 at 10M rows); an
--                organisation keeps its district, commune, kind and sector
--   report_date  ISO date, the end of a half-year 2020..2025 (06-30, 12-31)
--   district     the 10 districts of Hòa Bình, in Vietnamese
--   commune      the 151 communes of data/hoabinh/admin_units_2023.csv, each
--                in its own district (two names occur in two districts)
--   kind         HTX / THT / QTDND      sector  7 codes (data/hoabinh/sectors.csv)
--   status       active / stopped / special_control
--   members, workers   int
--   revenue_vnd  int, skewed (log-uniform), 2% empty (null)
--   profit_vnd   int, may be negative, 2% empty (null)
-- Also writes OUT.csv.meta (OUT less a final ".tmp"): the row count and the
-- bytes of the string dictionaries (bench/run.sh uses them for the raw size of the columns).
local n = assert(math.tointeger(tonumber(arg[1])), "usage: gen_reports.lua N OUT.csv")
local path = assert(arg[2], "usage: gen_reports.lua N OUT.csv")

local state = 0x2545F4914F6CDD1D
local function rand()                      -- splitmix64, as a float in [0,1)
  state = state + 0x9E3779B97F4A7C15
  local z = state
  z = (z ~ (z >> 30)) * 0xBF58476D1CE4E5B9
  z = (z ~ (z >> 27)) * 0x94D049BB133111EB
  z = z ~ (z >> 31)
  return (z >> 11) * (1.0 / 9007199254740992.0)
end
local floor = math.floor

-- Districts by code, named as in organizations.csv; communes from the
-- administrative units file (in file order, so the output is stable).
local here = (arg[0]:match("^(.*)/[^/]*$") or ".")
local admin = here .. "/../data/hoabinh/admin_units_2023.csv"
local dnames = { ["148"] = "Thành phố Hòa Bình", ["150"] = "Đà Bắc", ["152"] = "Lương Sơn",
  ["153"] = "Kim Bôi", ["154"] = "Cao Phong", ["155"] = "Tân Lạc", ["156"] = "Mai Châu",
  ["157"] = "Lạc Sơn", ["158"] = "Yên Thủy", ["159"] = "Lạc Thủy" }
local communes = {}                        -- { name, district }
for line in assert(io.open(admin, "rb")):lines() do
  local level, _, name, parent = line:match("^([^,]*),([^,]*),([^,]*),([^,]*)")
  if level == "commune" then
    communes[#communes + 1] = { name, assert(dnames[parent], parent) }
  end
end
assert(#communes > 100, "communes not found in " .. admin)

local kinds = { "HTX", "HTX", "HTX", "HTX", "THT", "THT", "THT", "QTDND" }
local sectors = { "agriculture", "agriculture", "agriculture", "agriculture", "agriculture",
  "agriculture", "industry_construction", "industry_construction", "trade_services",
  "trade_services", "transport", "electricity", "credit", "other" }
local statuses = { "active", "active", "active", "active", "active", "active", "active",
  "stopped", "stopped", "special_control" }
local periods = {}
for y = 2020, 2025 do
  periods[#periods + 1] = y .. "-06-30"
  periods[#periods + 1] = y .. "-12-31"
end

-- Organisations: the fixed part of each row, ready to paste.
local norgs = math.max(1, floor(n * 0.06))
local orgpre, orgpost, orgsize = {}, {}, {}
for id = 1, norgs do
  local c = communes[1 + floor(rand() * #communes)]
  local k = kinds[1 + floor(rand() * #kinds)]
  local s = k == "QTDND" and "credit" or sectors[1 + floor(rand() * #sectors)]
  orgpre[id] = id .. ","
  orgpost[id] = "," .. c[2] .. "," .. c[1] .. "," .. k .. "," .. s .. ","
  orgsize[id] = 7 + floor(rand() * rand() * 300)
end

local out = assert(io.open(path, "wb"))
out:write("org_id,report_date,district,commune,kind,sector,status,"
  .. "members,workers,revenue_vnd,profit_vnd\n")
local exp, tostr = math.exp, tostring
local buf, nb = {}, 0
for _ = 1, n do
  local id = 1 + floor(rand() * norgs)
  local size = orgsize[id]
  local members = size + floor(rand() * 10)
  local workers = floor(rand() * size * 1.5)
  local rev, profit = "", ""
  if rand() >= 0.02 then rev = tostr(floor(1e6 * exp(rand() * 9))) end
  if rand() >= 0.02 then profit = tostr(floor((rand() - 0.25) * 4e8)) end
  nb = nb + 1
  buf[nb] = orgpre[id] .. periods[1 + floor(rand() * 12)] .. orgpost[id]
    .. statuses[1 + floor(rand() * 10)] .. "," .. members .. "," .. workers .. ","
    .. rev .. "," .. profit .. "\n"
  if nb == 8192 then out:write(table.concat(buf)); nb = 0 end
end
out:write(table.concat(buf, "", 1, nb))
out:close()

-- Dictionary bytes: the distinct strings of each of the five text columns.
local dict = 0
local function distinct_bytes(list, field)
  local seen = {}
  for _, v in ipairs(list) do
    local s = field and v[field] or v
    if not seen[s] then seen[s] = true; dict = dict + #s end
  end
end
distinct_bytes(communes, 1); distinct_bytes(communes, 2)
distinct_bytes(kinds); distinct_bytes(sectors); distinct_bytes(statuses)
local meta = assert(io.open(path:gsub("%.tmp$", "") .. ".meta", "wb"))
meta:write(string.format("rows %d\norgs %d\ndict_bytes %d\n", n, norgs, dict))
meta:close()
