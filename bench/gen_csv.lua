-- gen_csv.lua: writes N rows of organisation-like data for the benchmarks.
--   lua5.4 bench/gen_csv.lua N OUT.csv
-- Deterministic (own splitmix64 generator). Columns: org_id int, district
-- (10 Vietnamese names), kind (3), status (3), founded date, members int,
-- workers int, revenue_vnd int (skewed, 2% null), profit_vnd int (can be
-- negative), score float.
local n = assert(tonumber(arg[1]), "usage: gen_csv.lua N OUT.csv")
local out = assert(io.open(assert(arg[2], "usage: gen_csv.lua N OUT.csv"), "wb"))

local state = 0x9E3779B97F4A7C15
local function rand()                      -- splitmix64, as a float in [0,1)
  state = state + 0x9E3779B97F4A7C15
  local z = state
  z = (z ~ (z >> 30)) * 0xBF58476D1CE4E5B9
  z = (z ~ (z >> 27)) * 0x94D049BB133111EB
  z = z ~ (z >> 31)
  return (z >> 11) * (1.0 / 9007199254740992.0)
end

local districts = { "Thành phố Hòa Bình", "Đà Bắc", "Lương Sơn", "Kim Bôi",
  "Cao Phong", "Tân Lạc", "Mai Châu", "Lạc Sơn", "Yên Thủy", "Lạc Thủy" }
local kinds = { "HTX", "HTX", "HTX", "THT", "THT", "QTDND" }
local statuses = { "active", "active", "active", "active", "stopped", "special_control" }

out:write("org_id,district,kind,status,founded,members,workers,revenue_vnd,profit_vnd,score\n")
local buf, nb = {}, 0
for i = 1, n do
  local d = districts[1 + math.floor(rand() * #districts)]
  local k = kinds[1 + math.floor(rand() * #kinds)]
  local s = statuses[1 + math.floor(rand() * #statuses)]
  local y, m, dd = 1997 + math.floor(rand() * 27), 1 + math.floor(rand() * 12),
    1 + math.floor(rand() * 28)
  local members = 7 + math.floor(rand() * rand() * 400)
  local workers = math.floor(rand() * 60)
  local rev = rand() < 0.02 and "" or tostring(math.floor(1e6 * math.exp(rand() * 9)))
  local profit = math.floor((rand() - 0.2) * 5e8)
  local score = math.floor(rand() * 100000) / 1000
  nb = nb + 1
  buf[nb] = string.format("%d,%s,%s,%s,%04d-%02d-%02d,%d,%d,%s,%d,%s\n", i, d, k, s,
    y, m, dd, members, workers, rev, profit, score)
  if nb == 4096 then out:write(table.concat(buf)); buf, nb = {}, 0 end
end
out:write(table.concat(buf, "", 1, nb))
out:close()
