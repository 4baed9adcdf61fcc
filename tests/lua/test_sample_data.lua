-- test_sample_data.lua: checks the Hòa Bình sample data (data/hoabinh)
-- against every exact figure it was generated to reproduce, and against
-- the article's published figures at their published precision.
--
--   build/coopstat run tests/lua/test_sample_data.lua [DATADIR]

local cs = require("coopstat")
local DIR = (arg and arg[1]) or "data/hoabinh"

local checks = 0
local function check(cond, fmt, ...)
  checks = checks + 1
  if not cond then error("sample data: " .. fmt:format(...), 2) end
end

local CODES = { schema = { district_code = "string", commune_code = "string" } }
local orgs = cs.read_csv(DIR .. "/organizations.csv", CODES)
local reps = cs.read_csv(DIR .. "/reports_2023h1.csv")
local pubs = cs.read_csv(DIR .. "/published_2023h1.csv")
local secs = cs.read_csv(DIR .. "/sectors.csv")
local units = cs.read_csv(DIR .. "/admin_units_2023.csv",
                          { schema = { code = "string", parent_code = "string" } })

-- Shape and types ---------------------------------------------------------
check(#orgs == 729, "organizations.csv: expected 729 rows, got %s", #orgs)
local want_cols = { "org_id", "name", "kind", "sector", "district", "district_code", "commune",
  "commune_code", "status", "founded", "members", "regular_workers", "seasonal_workers",
  "capital_vnd" }
local names = orgs:names()
check(#names == #want_cols, "organizations.csv: expected %d columns, got %d", #want_cols, #names)
for i, c in ipairs(want_cols) do
  check(names[i] == c, "organizations.csv: column %d should be %s, got %s", i, c, names[i])
end
local sch = orgs:schema()
for c, t in pairs({ org_id = "int64", members = "int64", regular_workers = "int64",
  seasonal_workers = "int64", capital_vnd = "int64", founded = "date",
  district_code = "string", commune_code = "string", name = "string" }) do
  check(sch[c] == t, "organizations.csv: column %s should be %s, got %s", c, t, sch[c])
end
for _, c in ipairs({ "org_id", "name", "kind", "sector", "district", "district_code", "commune",
  "commune_code", "status", "founded", "members", "regular_workers", "seasonal_workers",
  "capital_vnd" }) do
  check(orgs:col(c):nulls() == 0, "organizations.csv: column %s has %s nulls", c, orgs:col(c):nulls())
end

-- The published figures, by id ----------------------------------------------
local PUB = {}
for r in pubs:rows() do PUB[r.id] = r end
check(#pubs == 26, "published_2023h1.csv: expected 26 rows, got %s", #pubs)
for i = 1, 26 do
  local p = PUB["P" .. i]
  check(p ~= nil, "published_2023h1.csv: P%d missing", i)
  if i <= 24 then
    check(p.indicator_id ~= nil, "published: P%d has no indicator_id", i)
  else
    check(p.indicator_id == nil, "published: P%d should have no indicator_id", i)
  end
end
-- X (in base units) at the precision of published figure ID, and the figure.
local function at_precision(id, x)
  local p = PUB[id]
  local k = 10 ^ p.decimals
  return math.floor(x / p.scale * k + 0.5), math.floor(p.value * k + 0.5)
end
local function matches(id, x)
  local a, b = at_precision(id, x)
  return a == b
end
local function check_pub(id, x)
  local a, b = at_precision(id, x)
  check(a == b, "%s: computed %s (%s at published precision) but published %s %s",
    id, x, a, PUB[id].value, PUB[id].unit)
end

-- Kinds and statuses: the six groups and no others -------------------------
local groups, kind_of, status_of, org_row = {}, {}, {}, {}
local seen_name, seen_id = {}, {}
for r in orgs:rows() do
  local key = r.kind .. "/" .. r.status
  groups[key] = (groups[key] or 0) + 1
  check(not seen_id[r.org_id], "org_id %s repeated", r.org_id)
  check(not seen_name[r.name], "name %q repeated", r.name)
  seen_id[r.org_id], seen_name[r.name] = true, true
  kind_of[r.org_id], status_of[r.org_id], org_row[r.org_id] = r.kind, r.status, r
end
local WANT = { ["HTX/active"] = 433, ["HTX/stopped"] = 88, ["THT/active"] = 164,
  ["THT/stopped"] = 40, ["QTDND/active"] = 3, ["QTDND/special_control"] = 1 }
for k, n in pairs(groups) do
  check(WANT[k] ~= nil, "unexpected kind/status group %s (%d rows)", k, n)
end
for k, n in pairs(WANT) do
  check(groups[k] == n, "group %s: expected %d, got %s", k, n, groups[k])
end
check(orgs:col("org_id"):min() == 1 and orgs:col("org_id"):max() == 729,
  "org_id should run from 1 to 729")
check_pub("P2", groups["HTX/active"])
check_pub("P3", groups["QTDND/active"])
check_pub("P4", groups["THT/active"])
check_pub("P5", groups["HTX/stopped"])
check_pub("P6", groups["THT/stopped"])
check_pub("P7", groups["QTDND/special_control"])
-- The article's first contradiction: 597 announced, 433 + 3 + 164 = 600.
local active = orgs:filter(function(r) return r.status == "active" end)
check(#active == 600, "active organisations: expected 600, got %s", #active)
check(not matches("P1", #active) and PUB.P1.value == 597,
  "P1: the data should keep 600 active organisations against the published 597")

-- Members and workers over active organisations -----------------------------
local members = active:col("members"):sum()
local regular = active:col("regular_workers"):sum()
local seasonal = active:col("seasonal_workers"):sum()
check(members == 12460, "members of active organisations: expected 12460, got %s", members)
check(regular == 12578, "regular workers of active organisations: expected 12578, got %s", regular)
check(seasonal == 16827, "seasonal workers of active organisations: expected 16827, got %s", seasonal)
check_pub("P8", members)
check_pub("P9", regular + seasonal)
check_pub("P10", regular)
check_pub("P11", seasonal)
local htx = orgs:filter(function(r) return r.kind == "HTX" end)
local tht = orgs:filter(function(r) return r.kind == "THT" end)
check(htx:col("members"):min() >= 7, "an HTX has fewer than 7 members (%s)", htx:col("members"):min())
check(tht:col("members"):min() >= 2, "a THT has fewer than 2 members (%s)", tht:col("members"):min())
for _, c in ipairs({ "regular_workers", "seasonal_workers", "capital_vnd" }) do
  check(orgs:col(c):min() >= 0, "column %s has a negative value", c)
end

-- Active HTX by sector ------------------------------------------------------
local SECTOR_LABEL = {}
for r in secs:rows() do SECTOR_LABEL[r.sector] = r.label_vi end
check(#secs == 7, "sectors.csv: expected 7 sectors, got %s", #secs)
local by_sector = {}
for r in orgs:rows() do
  check(SECTOR_LABEL[r.sector] ~= nil, "org %s: unknown sector %s", r.org_id, r.sector)
  check((r.kind == "QTDND") == (r.sector == "credit"), "org %s: kind %s in sector %s",
    r.org_id, r.kind, r.sector)
  if r.kind == "HTX" and r.status == "active" then
    by_sector[r.sector] = (by_sector[r.sector] or 0) + 1
  end
end
local WANT_SECTOR = { agriculture = 305, industry_construction = 51, trade_services = 25,
  transport = 17, electricity = 13, other = 22 }
for s, n in pairs(WANT_SECTOR) do
  check(by_sector[s] == n, "active HTX in %s: expected %d, got %s", s, n, by_sector[s])
end
for s in pairs(by_sector) do
  check(WANT_SECTOR[s] ~= nil, "active HTX in unexpected sector %s", s)
end
check_pub("P18", by_sector.agriculture)
check_pub("P20", by_sector.industry_construction)
check_pub("P21", by_sector.trade_services)
check_pub("P22", by_sector.transport)
check_pub("P23", by_sector.electricity)
-- The second contradiction: 129 non-agricultural HTX announced, 433 - 305 = 128.
local nonagri = groups["HTX/active"] - by_sector.agriculture
check(nonagri == 128 and PUB.P19.value == 129 and not matches("P19", nonagri),
  "P19: expected 128 non-agricultural active HTX against the published 129, got %s", nonagri)

-- QTDND capital ---------------------------------------------------------------
local qcap = active:filter(function(r) return r.kind == "QTDND" end):col("capital_vnd"):sum()
check(qcap == 574000000000, "capital of the 3 active QTDND: expected 574e9, got %s", qcap)
check_pub("P24", qcap)

-- Administrative units ------------------------------------------------------
local UNIT = {}
for r in units:rows() do UNIT[r.code] = r end
check(#units == 162, "admin_units_2023.csv: expected 162 units, got %s", #units)
local districts_seen, ndistricts = {}, 0
for r in orgs:rows() do
  local c, d = UNIT[r.commune_code], UNIT[r.district_code]
  check(#r.commune_code == 5 and #r.district_code == 3,
    "org %s: codes %s/%s should have 5 and 3 digits", r.org_id, r.commune_code, r.district_code)
  check(c ~= nil and c.level == "commune", "org %s: %s is not a 2023 commune", r.org_id, r.commune_code)
  check(c.name == r.commune, "org %s: commune %s is %s in the units file", r.org_id, r.commune, c.name)
  check(c.parent_code == r.district_code, "org %s: commune %s is not in district %s",
    r.org_id, r.commune_code, r.district_code)
  check(d ~= nil and d.level == "district", "org %s: %s is not a district", r.org_id, r.district_code)
  check(d.name:gsub("^Huyện ", "") == r.district, "org %s: district %s is %s in the units file",
    r.org_id, r.district, d.name)
  if not districts_seen[r.district_code] then
    districts_seen[r.district_code] = true
    ndistricts = ndistricts + 1
  end
end
for r in units:rows() do
  if r.level == "district" then
    check(districts_seen[r.code], "district %s (%s) has no organisation", r.code, r.name)
  end
end
check(ndistricts == 10, "expected organisations in 10 districts, got %d", ndistricts)
local yen_nghiep, thanh_hoi, rattan = 0, 0, false
for r in orgs:rows() do
  if r.commune == "Xã Yên Nghiệp" and r.district == "Lạc Sơn" then yen_nghiep = yen_nghiep + 1 end
  if r.commune == "Xã Thanh Hối" and r.district == "Tân Lạc" then thanh_hoi = thanh_hoi + 1 end
  if r.name == "HTX Mây tre đan Yên Nghiệp" and r.commune_code == "05341" then rattan = true end
end
check(yen_nghiep > 0, "no organisation in Xã Yên Nghiệp (Lạc Sơn)")
check(thanh_hoi > 0, "no organisation in Xã Thanh Hối (Tân Lạc)")
check(rattan, "the rattan and bamboo HTX of Yên Nghiệp is missing")

-- Founding dates --------------------------------------------------------------
local fmin, fmax = orgs:col("founded"):min(), orgs:col("founded"):max()
check(fmin >= "1997-01-01" and fmax < "2023-06-30",
  "founding dates should lie in 1997-01-01..2023-06-29, got %s..%s", fmin, fmax)

-- Reports -------------------------------------------------------------------
local rep_seen, nrep = {}, { HTX = 0, THT = 0, QTDND = 0 }
for r in reps:rows() do
  check(kind_of[r.org_id] ~= nil, "report for unknown org_id %s", r.org_id)
  check(status_of[r.org_id] == "active", "report for org %s, which is %s", r.org_id,
    status_of[r.org_id])
  check(r.period == "2023H1", "report for org %s: period %s", r.org_id, r.period)
  check(not rep_seen[r.org_id], "two reports for org %s", r.org_id)
  rep_seen[r.org_id] = true
  nrep[kind_of[r.org_id]] = nrep[kind_of[r.org_id]] + 1
end
check(nrep.QTDND == 3, "expected reports from the 3 active QTDND, got %d", nrep.QTDND)
check(nrep.HTX >= 380 and nrep.HTX <= 433, "HTX reports: %d", nrep.HTX)
check(nrep.THT >= 140 and nrep.THT <= 164, "THT reports: %d", nrep.THT)
for _, c in ipairs({ "revenue_vnd", "profit_vnd", "avg_income_vnd_month" }) do
  check(reps:schema()[c] == "int64", "reports: %s should be int64, got %s", c, reps:schema()[c])
end

-- The averages, over reporting active organisations with a non-null value.
local function rep_of(kind)
  return reps:filter(function(r) return kind_of[r.org_id] == kind end)
end
local function mean_both(ds, col) -- the engine's mean, checked against a Lua loop
  local s, n = 0, 0
  for r in ds:rows() do
    if r[col] ~= nil then s, n = s + r[col], n + 1 end
  end
  local m = ds:col(col):mean()
  check(n > 0 and ds:col(col):count() == n, "%s: count %s, expected %d", col, ds:col(col):count(), n)
  check(math.abs(m - s / n) <= 1e-9 * math.abs(s / n), "%s: mean %s, expected %s", col, m, s / n)
  return m
end
local rh, rt, rq = rep_of("HTX"), rep_of("THT"), rep_of("QTDND")
check(rh:col("profit_vnd"):nulls() >= 1 and rh:col("revenue_vnd"):nulls() >= 1,
  "the HTX reports should have a few null figures")
check_pub("P12", mean_both(rh, "revenue_vnd"))
check_pub("P13", mean_both(rt, "revenue_vnd"))
check_pub("P14", mean_both(rh, "profit_vnd"))
check_pub("P15", mean_both(rt, "profit_vnd"))
check_pub("P16", mean_both(rq, "profit_vnd"))
local sw, sx = 0, 0
for r in rh:rows() do
  if r.avg_income_vnd_month ~= nil then
    local o = org_row[r.org_id]
    local w = o.regular_workers + o.seasonal_workers
    sw, sx = sw + w, sx + w * r.avg_income_vnd_month
  end
end
check(sw > 0, "no HTX worker income reported")
check_pub("P17", sx / sw)

print(("sample data: %d checks passed"):format(checks))
