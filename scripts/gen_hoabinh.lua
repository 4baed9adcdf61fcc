-- gen_hoabinh.lua: the deterministic generator of the Hòa Bình sample data.
--
--   lua5.4 scripts/gen_hoabinh.lua [OUTDIR] [UNITS_CSV]
--
-- OUTDIR defaults to data/hoabinh.  UNITS_CSV defaults to the shared GSO
-- list ../shared/domain/admin/hoabinh_units_2023.csv (relative to the repo
-- root) and, when that is absent, to data/hoabinh/admin_units_2023.csv, the
-- copy shipped with the project.  The units file is copied byte for byte
-- to OUTDIR/admin_units_2023.csv.
--
-- The microdata is SYNTHETIC: it is drawn from a fixed-seed PRNG and then
-- adjusted so that its aggregates reproduce the figures published in the
-- Hòa Bình newspaper article of mid-2023 (see data/hoabinh/README.md).
-- Plain Lua 5.4 only: no coopstat module, no libm transcendental function
-- (exp is computed with + - * / only), so every run writes the same bytes.

local args = { ... }
if #args == 0 and type(arg) == "table" then args = { arg[1], arg[2] } end
-- The repo root: the directory above scripts/, from the script's path.
local script = (type(arg) == "table" and arg[0]) or "scripts/gen_hoabinh.lua"
local ROOT = script:match("^(.*)/scripts/[^/]*$") or "."
local OUTDIR = (args[1] or (ROOT .. "/data/hoabinh")):gsub("/+$", "")

local function exists(p)
  local f = io.open(p, "rb")
  if f then f:close() return true end
  return false
end

local UNITS = args[2]
if not UNITS then
  for _, p in ipairs({ ROOT .. "/../shared/domain/admin/hoabinh_units_2023.csv",
                       ROOT .. "/data/hoabinh/admin_units_2023.csv",
                       OUTDIR .. "/admin_units_2023.csv" }) do
    if exists(p) then UNITS = p break end
  end
end
if not UNITS then error("gen_hoabinh: no admin units file found; pass UNITS_CSV") end

---------------------------------------------------------------------------
-- PRNG: splitmix64 on Lua 5.4 integers (64-bit wrap-around arithmetic).
---------------------------------------------------------------------------
local state = 0x1707202300000017 -- fixed seed (province code 17, 2023)
local function next64()
  state = state + 0x9E3779B97F4A7C15
  local z = state
  z = (z ~ (z >> 30)) * 0xBF58476D1CE4E5B9
  z = (z ~ (z >> 27)) * 0x94D049BB133111EB
  return z ~ (z >> 31)
end
local function uniform() -- [0, 1)
  return (next64() >> 11) / 9007199254740992.0
end
local function randint(a, b) -- a..b inclusive
  return a + (next64() >> 1) % (b - a + 1)
end
local function normal() -- Irwin-Hall approximation of N(0, 1)
  local s = 0.0
  for _ = 1, 12 do s = s + uniform() end
  return s - 6.0
end
local function xexp(x) -- e^x with + - * / only (deterministic everywhere)
  local n = 0
  while x > 0.125 or x < -0.125 do x = x / 2 n = n + 1 end
  local term, sum = 1.0, 1.0
  for k = 1, 14 do term = term * x / k sum = sum + term end
  for _ = 1, n do sum = sum * sum end
  return sum
end
local function lognormal(mu, sigma) return xexp(mu + sigma * normal()) end
local function pick(list) return list[randint(1, #list)] end
local function wpick(items, weight) -- items: list; weight(item) >= 0
  local total = 0.0
  for _, it in ipairs(items) do total = total + weight(it) end
  local r = uniform() * total
  for _, it in ipairs(items) do
    r = r - weight(it)
    if r < 0 then return it end
  end
  return items[#items]
end
local function shuffle(t)
  for i = #t, 2, -1 do
    local j = randint(1, i)
    t[i], t[j] = t[j], t[i]
  end
  return t
end

---------------------------------------------------------------------------
-- Exact integer allocation helpers.
---------------------------------------------------------------------------
-- Rounds the real VALUES to multiples of UNIT whose sum is exactly TOTAL
-- (largest remainder; ties by index).  TOTAL must be a multiple of UNIT.
local function round_to_total(values, total, unit)
  local n, out, fr, acc = #values, {}, {}, 0
  for i = 1, n do
    local q = values[i] / unit
    local f = math.floor(q)
    out[i] = f
    fr[i] = { i = i, r = q - f }
    acc = acc + f
  end
  local k = total // unit - acc
  table.sort(fr, function(a, b)
    if a.r ~= b.r then return a.r > b.r end
    return a.i < b.i
  end)
  local j = 1
  while k > 0 do out[fr[j].i] = out[fr[j].i] + 1 k = k - 1 j = j % n + 1 end
  while k < 0 do out[fr[#fr - j + 1].i] = out[fr[#fr - j + 1].i] - 1 k = k + 1 j = j % n + 1 end
  for i = 1, n do out[i] = out[i] * unit end
  return out
end
-- MINS[i] + a share of (TOTAL - sum MINS) in proportion to WEIGHTS[i].
local function allocate(mins, weights, total)
  local base, wsum = 0, 0.0
  for i = 1, #mins do base = base + mins[i] wsum = wsum + weights[i] end
  local extra = total - base
  assert(extra >= 0, "allocate: minimums exceed the total")
  local vals = {}
  for i = 1, #mins do vals[i] = extra * weights[i] / wsum end
  local r = round_to_total(vals, extra, 1)
  for i = 1, #mins do r[i] = r[i] + mins[i] end
  return r
end

---------------------------------------------------------------------------
-- Dates (days since 1970-01-01, proleptic Gregorian).
---------------------------------------------------------------------------
local function days_from_civil(y, m, d)
  y = (m <= 2) and y - 1 or y
  local era = (y >= 0 and y or y - 399) // 400
  local yoe = y - era * 400
  local mp = (m + 9) % 12
  local doy = (153 * mp + 2) // 5 + d - 1
  local doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
  return era * 146097 + doe - 719468
end
local function civil_from_days(z)
  z = z + 719468
  local era = (z >= 0 and z or z - 146096) // 146097
  local doe = z - era * 146097
  local yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
  local y = yoe + era * 400
  local doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
  local mp = (5 * doy + 2) // 153
  local d = doy - (153 * mp + 2) // 5 + 1
  local m = mp < 10 and mp + 3 or mp - 9
  return (m <= 2) and y + 1 or y, m, d
end
local LAST_DAY = days_from_civil(2023, 6, 30)
-- A registration date: a year drawn from YEARS ({year, weight} pairs),
-- then a day within it, never later than 2023-06-30.
local function draw_date(years)
  local yw = wpick(years, function(p) return p[2] end)
  local a = days_from_civil(yw[1], 1, 1)
  local b = math.min(days_from_civil(yw[1], 12, 31), LAST_DAY - 1)
  local y, m, d = civil_from_days(randint(a, b))
  return string.format("%04d-%02d-%02d", y, m, d)
end
local function year_weights(spec) -- {{from, to, weight_per_year}, ...}
  local out = {}
  for _, s in ipairs(spec) do
    for y = s[1], s[2] do out[#out + 1] = { y, s[3] } end
  end
  return out
end
-- Registrations peak in 2013-2020, when HTX re-registered under the 2012 law.
local YEARS_HTX = year_weights({ { 1997, 2003, 1 }, { 2004, 2012, 1.5 },
  { 2013, 2015, 6 }, { 2016, 2020, 5 }, { 2021, 2023, 3 } })
local YEARS_HTX_STOPPED = year_weights({ { 1997, 2003, 2 }, { 2004, 2012, 3 },
  { 2013, 2017, 3 }, { 2018, 2021, 1 } })
local YEARS_THT = year_weights({ { 2005, 2012, 1 }, { 2013, 2019, 2 },
  { 2020, 2023, 4 } })
local YEARS_THT_STOPPED = year_weights({ { 2005, 2012, 2 }, { 2013, 2019, 2 },
  { 2020, 2022, 1 } })

---------------------------------------------------------------------------
-- Administrative units (GSO list, 2023).
---------------------------------------------------------------------------
local function read_all(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("a")
  f:close()
  return s
end
local function parse_csv(text)
  local rows, row, field, i, n = {}, {}, {}, 1, #text
  local inq = false
  while i <= n do
    local c = text:sub(i, i)
    if inq then
      if c == '"' then
        if text:sub(i + 1, i + 1) == '"' then field[#field + 1] = '"' i = i + 1
        else inq = false end
      else field[#field + 1] = c end
    elseif c == '"' then inq = true
    elseif c == "," then row[#row + 1] = table.concat(field) field = {}
    elseif c == "\n" then
      row[#row + 1] = table.concat(field) field = {}
      rows[#rows + 1] = row row = {}
    elseif c ~= "\r" then field[#field + 1] = c end
    i = i + 1
  end
  if #field > 0 or #row > 0 then row[#row + 1] = table.concat(field) rows[#rows + 1] = row end
  return rows
end

local units_bytes = read_all(UNITS)
local urows = parse_csv(units_bytes)
local hdr = {}
for j, name in ipairs(urows[1]) do hdr[name] = j end
local DISTRICTS, DBYCODE = {}, {}
for r = 2, #urows do
  local row = urows[r]
  if row[hdr.level] == "district" then
    local full = row[hdr.name]
    local d = { code = row[hdr.code], full = full,
                name = full:gsub("^Huyện ", ""), communes = {} }
    DISTRICTS[#DISTRICTS + 1] = d
    DBYCODE[d.code] = d
  end
end
for r = 2, #urows do
  local row = urows[r]
  if row[hdr.level] == "commune" then
    local d = assert(DBYCODE[row[hdr.parent_code]], "commune without district")
    local full = row[hdr.name]
    local c = { code = row[hdr.code], name = full, district = d,
                short = full:gsub("^Xã ", ""):gsub("^Phường ", ""):gsub("^Thị trấn ", "") }
    c.urban = full:match("^Xã ") == nil
    c.type = full:match("^Xã ") and "xã" or full:match("^Phường ") and "phường" or "thị trấn"
    d.communes[#d.communes + 1] = c
  end
end
table.sort(DISTRICTS, function(a, b) return a.code < b.code end)
assert(#DISTRICTS == 10, "expected the ten districts of 2023")
local function commune_by_name(dcode, name)
  for _, c in ipairs(DBYCODE[dcode].communes) do
    if c.name == name then return c end
  end
  error("no commune " .. name .. " in district " .. dcode)
end

---------------------------------------------------------------------------
-- Sectors and where they are found.
---------------------------------------------------------------------------
local SECTORS = {
  { "agriculture", "Nông nghiệp", "Agriculture" },
  { "industry_construction", "Công nghiệp - xây dựng", "Industry and construction" },
  { "trade_services", "Thương mại - dịch vụ", "Trade and services" },
  { "transport", "Giao thông vận tải", "Transport" },
  { "electricity", "Dịch vụ điện năng", "Electricity services" },
  { "credit", "Tín dụng", "Credit" },
  { "other", "Khác", "Other" },
}
-- District weights per sector (codes 148 city, 150 Đà Bắc, 152 Lương Sơn,
-- 153 Kim Bôi, 154 Cao Phong, 155 Tân Lạc, 156 Mai Châu, 157 Lạc Sơn,
-- 158 Yên Thủy, 159 Lạc Thủy).
local DW = {
  agriculture = { ["148"] = 5, ["150"] = 7, ["152"] = 9, ["153"] = 14, ["154"] = 10,
    ["155"] = 15, ["156"] = 8, ["157"] = 18, ["158"] = 9, ["159"] = 8 },
  industry_construction = { ["148"] = 14, ["150"] = 5, ["152"] = 13, ["153"] = 8, ["154"] = 6,
    ["155"] = 8, ["156"] = 7, ["157"] = 10, ["158"] = 6, ["159"] = 7 },
  trade_services = { ["148"] = 20, ["150"] = 5, ["152"] = 10, ["153"] = 8, ["154"] = 6,
    ["155"] = 7, ["156"] = 11, ["157"] = 8, ["158"] = 5, ["159"] = 6 },
  transport = { ["148"] = 25, ["150"] = 8, ["152"] = 8, ["153"] = 6, ["154"] = 5,
    ["155"] = 6, ["156"] = 5, ["157"] = 7, ["158"] = 5, ["159"] = 5 },
  electricity = { ["148"] = 1, ["150"] = 14, ["152"] = 4, ["153"] = 9, ["154"] = 6,
    ["155"] = 10, ["156"] = 12, ["157"] = 12, ["158"] = 6, ["159"] = 5 },
  other = { ["148"] = 10, ["150"] = 7, ["152"] = 9, ["153"] = 8, ["154"] = 7,
    ["155"] = 8, ["156"] = 7, ["157"] = 9, ["158"] = 7, ["159"] = 7 },
}

-- Name parts.  HTX: "HTX <activity> <place>"; THT: "Tổ hợp tác <activity> <place>".
local HTX_ACT = {
  agriculture = { "Nông nghiệp", "Nông nghiệp", "Nông nghiệp", "Dịch vụ nông nghiệp",
    "Dịch vụ nông nghiệp", "Nông nghiệp và dịch vụ", "Nông lâm nghiệp", "Rau an toàn",
    "Chăn nuôi", "Trồng trọt và chăn nuôi", "Dược liệu", "Lúa gạo", "Mật ong", "Gà đồi",
    "Lâm nghiệp", "Nông sản sạch", "Chè", "Bưởi", "Nấm", "Thủy sản" },
  industry_construction = { "Xây dựng", "Xây dựng", "Vật liệu xây dựng", "Mộc",
    "Cơ khí", "Chế biến nông sản", "Chế biến lâm sản", "Mây tre đan",
    "Công nghiệp và xây dựng", "Sản xuất gạch" },
  trade_services = { "Thương mại và dịch vụ", "Dịch vụ tổng hợp", "Thương mại",
    "Dịch vụ thương mại", "Du lịch và dịch vụ" },
  transport = { "Vận tải", "Vận tải", "Vận tải hành khách", "Dịch vụ vận tải", "Vận tải ô tô" },
  electricity = { "Dịch vụ điện năng", "Điện năng", "Dịch vụ điện", "Kinh doanh điện" },
  other = { "Nước sạch", "Vệ sinh môi trường", "Dịch vụ môi trường", "Dịch vụ công ích",
    "Môi trường và đô thị", "Quản lý chợ" },
}
-- Local specialities by district: farm products, crafts, services.
local HTX_LOCAL = {
  ["148"] = { agriculture = { "Rau an toàn", "Hoa và cây cảnh" } },
  ["150"] = { agriculture = { "Chè Shan tuyết", "Nuôi cá lồng", "Thủy sản" },
    industry_construction = { "Dệt thổ cẩm" }, trade_services = { "Du lịch cộng đồng" } },
  ["152"] = { agriculture = { "Rau an toàn", "Chăn nuôi", "Hoa và cây cảnh" } },
  ["153"] = { agriculture = { "Bưởi", "Rau an toàn", "Nấm" } },
  ["154"] = { agriculture = { "Cam", "Cam", "Cam", "Mía tím", "Cây ăn quả" } },
  ["155"] = { agriculture = { "Cam", "Bưởi", "Cây ăn quả", "Mía" } },
  ["156"] = { agriculture = { "Chè", "Lúa nếp" }, industry_construction = { "Dệt thổ cẩm" },
    trade_services = { "Du lịch cộng đồng", "Du lịch cộng đồng" } },
  ["157"] = { agriculture = { "Bưởi", "Mía", "Lúa nếp" }, industry_construction = { "Mây tre đan" } },
  ["158"] = { agriculture = { "Mía", "Dứa", "Bưởi" } },
  ["159"] = { agriculture = { "Cam", "Dứa", "Chè" } },
}
local THT_ACT = {
  agriculture = { "chăn nuôi", "chăn nuôi", "chăn nuôi gà", "chăn nuôi lợn", "chăn nuôi bò",
    "trồng rau an toàn", "trồng rau an toàn", "trồng cam", "trồng bưởi", "trồng mía", "nuôi ong",
    "nuôi cá", "sản xuất chè", "trồng nấm", "sản xuất lúa", "trồng dược liệu",
    "sản xuất nông nghiệp", "trồng cây ăn quả" },
  industry_construction = { "mây tre đan", "dệt thổ cẩm", "mộc", "xây dựng" },
  trade_services = { "dịch vụ du lịch", "dịch vụ thương mại", "làm du lịch cộng đồng" },
  transport = { "vận tải" },
  electricity = { "dịch vụ điện" },
  other = { "vệ sinh môi trường", "thu gom rác thải" },
}
local BRANDS = { "Thành Công", "Tân Tiến", "Hưng Thịnh", "Phú Lợi", "Bình Minh",
  "Đồng Tâm", "Thịnh Vượng", "Phát Đạt", "Hợp Lực", "Tiến Đạt", "An Phú", "Hoàng Long",
  "Xanh", "Thành Đạt", "Hòa Bình Xanh", "Đoàn Kết", "Quyết Tiến", "Thăng Long",
  "Bảo Ngọc", "Minh Phát", "Sông Đà", "Đại Phát", "Hồng Phúc", "Toàn Thắng" }
local XOM = { "Mới", "Chiềng", "Trên", "Dưới", "Bãi", "Đồi", "Nà", "Bưa", "Cời",
  "Khang", "Mu", "Đầm", "Vó", "Bái", "Trại", "Đồng" }

local used_names = {}
local function claim(name)
  if used_names[name] then return nil end
  used_names[name] = true
  return name
end
local function place_for(c, sector)
  -- Town-based non-agricultural HTX are often named after the district.
  if sector ~= "agriculture" and c.urban and uniform() < 0.5 then
    return (c.district.name:gsub("^Thành phố ", ""))
  end
  return c.short
end
local function htx_name(c, sector)
  local acts = HTX_ACT[sector]
  local local_acts = HTX_LOCAL[c.district.code][sector]
  for _ = 1, 8 do
    local act
    if local_acts and uniform() < 0.35 then act = pick(local_acts) else act = pick(acts) end
    local n = claim("HTX " .. act .. " " .. place_for(c, sector))
    if n then return n end
  end
  for _ = 1, 50 do
    local n = claim("HTX " .. pick(acts) .. " " .. pick(BRANDS))
    if n then return n end
    n = claim("HTX " .. pick(acts) .. " " .. pick(BRANDS) .. " " .. c.short)
    if n then return n end
  end
  error("htx_name: out of names")
end
local function tht_name(c, sector)
  local acts = THT_ACT[sector]
  for _ = 1, 4 do
    local n = claim("Tổ hợp tác " .. pick(acts) .. " " .. c.short)
    if n then return n end
  end
  for _ = 1, 50 do
    local n = claim("Tổ hợp tác " .. pick(acts) .. " xóm " .. pick(XOM) .. " " .. c.type .. " " .. c.short)
    if n then return n end
  end
  error("tht_name: out of names")
end

---------------------------------------------------------------------------
-- The organisations.
---------------------------------------------------------------------------
local ORGS = {}
local function add_org(o) ORGS[#ORGS + 1] = o return o end
local function pick_commune(d, sector)
  local cs = d.communes
  if sector ~= "agriculture" and sector ~= "electricity" and uniform() < 0.4 then
    local towns = {}
    for _, c in ipairs(cs) do if c.urban then towns[#towns + 1] = c end end
    if #towns > 0 then return pick(towns) end
  end
  if sector == "agriculture" and uniform() < 0.85 then
    local xa = {}
    for _, c in ipairs(cs) do if not c.urban then xa[#xa + 1] = c end end
    if #xa > 0 then return pick(xa) end
  end
  return pick(cs)
end
local function pick_district(sector)
  local w = DW[sector] or DW.agriculture
  return wpick(DISTRICTS, function(d) return w[d.code] end)
end

-- The people's credit funds: three active, one under special control.
local QTDND = {
  { "Phường Phương Lâm", "148", "active", "1997-11-20", 1124, 14, 231480000000 },
  { "Thị trấn Lương Sơn", "152", "active", "1998-04-09", 1468, 17, 198350000000 },
  { "Thị trấn Vụ Bản", "157", "active", "1999-08-16", 867, 11, 144170000000 },
  { "Thị trấn Chi Nê", "159", "special_control", "2000-03-27", 612, 6, 38260000000 },
}
for _, q in ipairs(QTDND) do
  local c = commune_by_name(q[2], q[1])
  add_org({ name = assert(claim("Quỹ tín dụng nhân dân " .. c.short)), kind = "QTDND",
    sector = "credit", commune = c, status = q[3], founded = q[4], members = q[5],
    regular = q[6], seasonal = 0, capital = q[7] })
end

-- Organisations the article names (Yên Nghiệp, Lạc Sơn) or mentions
-- (Thanh Hối, Tân Lạc), fixed so that they are always there.
local yn = commune_by_name("157", "Xã Yên Nghiệp")
local th = commune_by_name("155", "Xã Thanh Hối")
local FIXED = {
  { "HTX Mây tre đan Yên Nghiệp", "HTX", "industry_construction", yn, "active" },
  { "HTX Nông nghiệp Yên Nghiệp", "HTX", "agriculture", yn, "active" },
  { "HTX Nông nghiệp Thanh Hối", "HTX", "agriculture", th, "active" },
  { "Tổ hợp tác chăn nuôi Thanh Hối", "THT", "agriculture", th, "active" },
  { "Tổ hợp tác dệt thổ cẩm Yên Nghiệp", "THT", "industry_construction", yn, "active" },
}
local fixed_count = {}
for _, f in ipairs(FIXED) do
  add_org({ name = assert(claim(f[1])), kind = f[2], sector = f[3], commune = f[4], status = f[5] })
  local key = f[2] .. "/" .. f[5] .. "/" .. f[3]
  fixed_count[key] = (fixed_count[key] or 0) + 1
end

local function add_many(kind, status, sector, n)
  n = n - (fixed_count[kind .. "/" .. status .. "/" .. sector] or 0)
  for _ = 1, n do
    local c = pick_commune(pick_district(sector), sector)
    local name = (kind == "HTX") and htx_name(c, sector) or tht_name(c, sector)
    add_org({ name = name, kind = kind, sector = sector, commune = c, status = status })
  end
end
-- Active HTX by sector: exactly the article's counts (P18, P20-P23), and
-- the 22 HTX the article leaves unnamed (433 - 305 - 106) as "other".
for _, s in ipairs({ { "agriculture", 305 }, { "industry_construction", 51 },
  { "trade_services", 25 }, { "transport", 17 }, { "electricity", 13 }, { "other", 22 } }) do
  add_many("HTX", "active", s[1], s[2])
end
-- Stopped HTX (88), active THT (164), stopped THT (40): a realistic mix.
local function mix(kind, status, n, shares)
  local counts, total = {}, 0
  for i, s in ipairs(shares) do
    counts[i] = (i < #shares) and math.floor(n * s[2] + 0.5) or 0
    total = total + counts[i]
  end
  counts[#shares] = n - total
  for i, s in ipairs(shares) do add_many(kind, status, s[1], counts[i]) end
end
mix("HTX", "stopped", 88, { { "industry_construction", 0.15 }, { "trade_services", 0.10 },
  { "transport", 0.07 }, { "electricity", 0.09 }, { "other", 0.04 }, { "agriculture", 0 } })
mix("THT", "active", 164, { { "industry_construction", 0.08 }, { "trade_services", 0.05 },
  { "other", 0.02 }, { "agriculture", 0 } })
mix("THT", "stopped", 40, { { "industry_construction", 0.10 }, { "trade_services", 0.05 },
  { "agriculture", 0 } })
assert(#ORGS == 729, "expected 729 organisations, got " .. #ORGS)

-- Register order: by district, commune, kind, then name; ids 1..729.
local KIND_ORDER = { HTX = 1, QTDND = 2, THT = 3 }
table.sort(ORGS, function(a, b)
  if a.commune.district.code ~= b.commune.district.code then
    return a.commune.district.code < b.commune.district.code
  end
  if a.commune.code ~= b.commune.code then return a.commune.code < b.commune.code end
  if a.kind ~= b.kind then return KIND_ORDER[a.kind] < KIND_ORDER[b.kind] end
  return a.name < b.name
end)
for i, o in ipairs(ORGS) do o.id = i end

---------------------------------------------------------------------------
-- Founding dates, sizes and capital.
---------------------------------------------------------------------------
for _, o in ipairs(ORGS) do
  if not o.founded then
    if o.kind == "HTX" then
      o.founded = draw_date(o.status == "active" and YEARS_HTX or YEARS_HTX_STOPPED)
    else
      o.founded = draw_date(o.status == "active" and YEARS_THT or YEARS_THT_STOPPED)
    end
  end
  -- The latent scale of the organisation, skewed, within [0.3, 6].
  o.size = math.max(0.3, math.min(6.0, lognormal(0, 0.8)))
end

-- Factors by sector: {members, regular workers, seasonal workers, capital, revenue}.
local F = {
  agriculture = { 1.35, 0.75, 1.45, 0.8, 0.75 },
  industry_construction = { 0.6, 2.1, 1.3, 1.3, 1.7 },
  trade_services = { 0.7, 1.0, 0.5, 1.2, 1.6 },
  transport = { 1.1, 1.4, 0.3, 2.0, 1.9 },
  electricity = { 1.0, 0.6, 0.25, 1.6, 1.3 },
  other = { 0.8, 1.1, 0.6, 0.9, 0.9 },
}

-- Active HTX and THT share what the QTDND leave of the published totals.
local ACTIVE_MEMBERS, ACTIVE_REGULAR, ACTIVE_SEASONAL = 12460, 12578, 16827
local act, left_m, left_r, left_s = {}, ACTIVE_MEMBERS, ACTIVE_REGULAR, ACTIVE_SEASONAL
for _, o in ipairs(ORGS) do
  if o.status == "active" then
    if o.kind == "QTDND" then
      left_m, left_r, left_s = left_m - o.members, left_r - o.regular, left_s - o.seasonal
    else
      act[#act + 1] = o
    end
  end
end
local mm, wm, mr, wr, ms, wsn = {}, {}, {}, {}, {}, {}
for i, o in ipairs(act) do
  local f = F[o.sector]
  ms[i] = 0
  if o.kind == "HTX" then -- members skew more than workers: a few big service HTX
    mm[i], mr[i] = 7, 2
    wm[i] = f[1] * o.size ^ 1.5 * lognormal(0, 0.45)
    wr[i] = f[2] * o.size * lognormal(0, 0.4)
    wsn[i] = f[3] * o.size * lognormal(0, 0.5)
  else -- a THT's regular workers are mostly its members
    local z = 0.2 * o.size ^ 0.7
    mm[i], mr[i] = 2, 1
    wm[i] = 3.2 * z * lognormal(0, 0.3)
    wr[i] = z * (0.6 + 0.3 * f[2]) * lognormal(0, 0.25)
    wsn[i] = z * f[3] * lognormal(0, 0.5)
  end
  if o.name == "HTX Mây tre đan Yên Nghiệp" then -- many weavers work for it
    wr[i] = wr[i] * 2 wsn[i] = wsn[i] * 2
  end
end
local am = allocate(mm, wm, left_m)
local ar = allocate(mr, wr, left_r)
local as = allocate(ms, wsn, left_s)
for i, o in ipairs(act) do o.members, o.regular, o.seasonal = am[i], ar[i], as[i] end

for _, o in ipairs(ORGS) do
  if o.status ~= "active" and o.kind ~= "QTDND" then -- stopped: small and idle
    if o.kind == "HTX" then
      o.members = 7 + math.floor(o.size * 6 * uniform() + 0.5) + randint(0, 4)
      o.regular = (uniform() < 0.6) and 0 or randint(1, 4)
    else
      o.members = 2 + randint(0, 6)
      o.regular = 0
    end
    o.seasonal = 0
  end
  if not o.capital then
    local c
    if o.kind == "HTX" then
      c = 4.5e8 * F[o.sector][4] * (o.size ^ 0.7) * lognormal(0, 0.75)
      if o.status == "stopped" then c = c * 0.45 end
      c = math.max(5.0e7, math.min(2.0e10, c))
      o.capital = math.floor(c / 1e6 + 0.5) * 1000000 -- whole million VND
    else
      c = 6.0e7 * (o.size ^ 0.5) * lognormal(0, 0.6)
      if o.status == "stopped" then c = c * 0.6 end
      c = math.max(1.0e7, math.min(8.0e8, c))
      o.capital = math.floor(c / 1e6 + 0.5) * 1000000
    end
  end
end

---------------------------------------------------------------------------
-- Half-year reports (2023H1): active organisations only.
---------------------------------------------------------------------------
local rep_htx, rep_tht, rep_q = {}, {}, {}
for _, o in ipairs(ORGS) do
  if o.status == "active" then
    if o.kind == "QTDND" then rep_q[#rep_q + 1] = o
    elseif o.kind == "HTX" then rep_htx[#rep_htx + 1] = o
    else rep_tht[#rep_tht + 1] = o end
  end
end
-- 32 HTX and 13 THT did not report (the fixed ones always report).
local function drop(list, n)
  local cand = {}
  for i, o in ipairs(list) do
    local fixed = false
    for _, f in ipairs(FIXED) do if f[1] == o.name then fixed = true end end
    if not fixed then cand[#cand + 1] = i end
  end
  shuffle(cand)
  local gone = {}
  for k = 1, n do gone[cand[k]] = true end
  local out = {}
  for i, o in ipairs(list) do if not gone[i] then out[#out + 1] = o end end
  return out
end
rep_htx = drop(rep_htx, 32)
rep_tht = drop(rep_tht, 13)
for _, o in ipairs(rep_htx) do o.report = {} end
for _, o in ipairs(rep_tht) do o.report = {} end
for _, o in ipairs(rep_q) do o.report = {} end

-- Null markers: 2 HTX without revenue or profit, 5 more without profit,
-- 11 without the income figure; 1 THT without profit, 31 without income.
local function mark(list, n, field, skip)
  local cand = {}
  for _, o in ipairs(list) do
    if not (skip and skip(o)) and o.name ~= "HTX Mây tre đan Yên Nghiệp" then cand[#cand + 1] = o end
  end
  shuffle(cand)
  for k = 1, n do cand[k].report[field] = true end
end
mark(rep_htx, 2, "no_revenue")
for _, o in ipairs(rep_htx) do if o.report.no_revenue then o.report.no_profit = true end end
mark(rep_htx, 5, "no_profit", function(o) return o.report.no_profit end)
mark(rep_htx, 11, "no_income")
mark(rep_tht, 1, "no_profit")
mark(rep_tht, 31, "no_income")

-- Target sums: the published mean (in VND) plus a small offset, well inside
-- the rounding interval, times the number of non-null values; multiples of
-- 1,000 VND (every figure is reported in thousands of VND).
local function target_sum(mean, offset, n)
  return ((mean + offset) * n + 500) // 1000 * 1000
end
local function revenue(list, mean, offset, factor, sigma, floor)
  local vals, who = {}, {}
  for _, o in ipairs(list) do
    if not o.report.no_revenue then
      who[#who + 1] = o
      -- Revenue follows the workforce, with a sector factor and noise.
      local staff = o.regular + 0.25 * o.seasonal + 3
      vals[#vals + 1] = factor(o) * (staff ^ 0.85) * lognormal(0, sigma)
    end
  end
  local T = target_sum(mean, offset, #who)
  local s = 0.0
  for _, v in ipairs(vals) do s = s + v end
  for i = 1, #vals do vals[i] = math.max(floor, vals[i] * T / s) end
  local out = round_to_total(vals, T, 1000)
  for i, o in ipairs(who) do o.report.revenue = out[i] end
end
local function profit(list, mean, offset, margin)
  local vals, who = {}, {}
  for _, o in ipairs(list) do
    if not o.report.no_profit then
      who[#who + 1] = o
      vals[#vals + 1] = o.report.revenue * margin(o)
    end
  end
  local T = target_sum(mean, offset, #who)
  -- Spread the residual over the profitable ones, in proportion to revenue.
  local s, rpos = 0.0, 0.0
  for i, o in ipairs(who) do
    s = s + vals[i]
    if vals[i] > 0 then rpos = rpos + o.report.revenue end
  end
  local shift = (T - s) / rpos
  for i, o in ipairs(who) do
    if vals[i] > 0 then vals[i] = vals[i] + shift * o.report.revenue end
  end
  local out = round_to_total(vals, T, 1000)
  for i, o in ipairs(who) do o.report.profit = out[i] end
  return shift
end

revenue(rep_htx, 1300000000, 2150000, function(o) return F[o.sector][5] end, 0.6, 3.0e7)
local htx_shift = profit(rep_htx, 143000000, 41000, function(o)
  local r = uniform()
  if r < 0.07 and o.name ~= "HTX Mây tre đan Yên Nghiệp" then
    return -(0.02 + 0.10 * uniform()) -- a loss
  end
  return math.max(0.01, 0.10 + 0.05 * normal())
end)
revenue(rep_tht, 106000000, -38000, function() return 1.0 end, 0.55, 1.2e7)
local tht_shift = profit(rep_tht, 31200000, 3000, function()
  if uniform() < 0.02 then return -(0.05 + 0.1 * uniform()) end
  return math.min(0.6, math.max(0.08, 0.29 + 0.07 * normal()))
end)

-- The credit funds: interest income and income minus expense (P16).
local QREP = { { 11846000000, 3406000000, 8650000 }, { 10214000000, 3088170000, 9120000 },
               { 7655000000, 2275000000, 7480000 } }
local qsum = 0
for i, o in ipairs(rep_q) do
  o.report.revenue, o.report.profit, o.report.income = QREP[i][1], QREP[i][2], QREP[i][3]
  qsum = qsum + QREP[i][2]
end
assert(qsum == 3 * 2923000000 + 170000, "QTDND surplus sum")

-- Monthly income per worker (VND, multiples of 10,000).  For HTX, the mean
-- weighted by regular + seasonal workers is brought to the target.
local INCOME_F = { agriculture = 0.93, industry_construction = 1.05, trade_services = 1.12,
  transport = 1.3, electricity = 1.35, other = 1.0 }
local inc = {}
for _, o in ipairs(rep_htx) do
  if not o.report.no_income then
    inc[#inc + 1] = o
    o.report.income_raw = 4.3e6 * INCOME_F[o.sector] * lognormal(0, 0.2)
  end
end
local TARGET_INCOME = 4398000
local function weighted_mean()
  local sw, sx = 0, 0
  for _, o in ipairs(inc) do
    local w = o.regular + o.seasonal
    sw, sx = sw + w, sx + w * o.report.income
  end
  return sx / sw, sw
end
do
  local sw, sx = 0.0, 0.0
  for _, o in ipairs(inc) do
    local w = o.regular + o.seasonal
    sw, sx = sw + w, sx + w * o.report.income_raw
  end
  local k = TARGET_INCOME / (sx / sw)
  for _, o in ipairs(inc) do
    local v = math.max(2.2e6, math.min(9.5e6, o.report.income_raw * k))
    o.report.income = math.floor(v / 10000 + 0.5) * 10000
  end
  -- Fine-tune: nudge the incomes of the largest employers by 10,000 VND.
  local big = {}
  for _, o in ipairs(inc) do big[#big + 1] = o end
  table.sort(big, function(a, b)
    local wa, wb = a.regular + a.seasonal, b.regular + b.seasonal
    if wa ~= wb then return wa > wb end
    return a.id < b.id
  end)
  local j = 0
  for _ = 1, 400 do
    local m, w = weighted_mean()
    local diff = TARGET_INCOME - m
    local bw = big[j + 1].regular + big[j + 1].seasonal
    if math.abs(diff) * w < bw * 5000 then break end
    big[j + 1].report.income = big[j + 1].report.income + (diff > 0 and 10000 or -10000)
    j = (j + 1) % 40
  end
end
for _, o in ipairs(rep_tht) do
  if not o.report.no_income then
    local v = 3.1e6 * lognormal(0, 0.22)
    o.report.income = math.floor(math.max(1.8e6, math.min(7e6, v)) / 10000 + 0.5) * 10000
  end
end

---------------------------------------------------------------------------
-- Output.
---------------------------------------------------------------------------
local function field(v)
  if v == nil then return "" end
  v = tostring(v)
  if v:find('[,"\r\n]') then return '"' .. v:gsub('"', '""') .. '"' end
  return v
end
local function write_csv(name, header, rows)
  local out = { table.concat(header, ",") }
  for _, r in ipairs(rows) do
    local f = {}
    for j = 1, #header do f[j] = field(r[j]) end
    out[#out + 1] = table.concat(f, ",")
  end
  local fh = io.open(OUTDIR .. "/" .. name, "wb")
  if not fh then
    os.execute("mkdir -p '" .. OUTDIR:gsub("'", "'\\''") .. "'")
    fh = assert(io.open(OUTDIR .. "/" .. name, "wb"))
  end
  fh:write(table.concat(out, "\n"), "\n")
  fh:close()
end

local orows = {}
for _, o in ipairs(ORGS) do
  local c = o.commune
  orows[#orows + 1] = { o.id, o.name, o.kind, o.sector, c.district.name, c.district.code,
    c.name, c.code, o.status, o.founded, o.members, o.regular, o.seasonal, o.capital }
end
write_csv("organizations.csv", { "org_id", "name", "kind", "sector", "district",
  "district_code", "commune", "commune_code", "status", "founded", "members",
  "regular_workers", "seasonal_workers", "capital_vnd" }, orows)

local srows = {}
for _, s in ipairs(SECTORS) do srows[#srows + 1] = s end
write_csv("sectors.csv", { "sector", "label_vi", "label_en" }, srows)

local rrows = {}
for _, o in ipairs(ORGS) do
  if o.report then
    rrows[#rrows + 1] = { o.id, "2023H1", o.report.revenue, o.report.profit, o.report.income }
  end
end
write_csv("reports_2023h1.csv", { "org_id", "period", "revenue_vnd", "profit_vnd",
  "avg_income_vnd_month" }, rrows)

-- The article's figures as printed (value in the printed unit; SCALE turns
-- it into base units; DECIMALS is the published precision).
local T, M, B = 1000, 1000000, 1000000000
local PUBLISHED = {
  { "P1", "Tổ chức KTTT hoạt động có kết quả sản xuất, kinh doanh ổn định",
    "KTTT organisations operating with stable results", "597", "tổ chức", 1, 0, "orgs_operating" },
  { "P2", "Hợp tác xã (HTX) hoạt động", "Cooperatives (HTX) operating", "433", "HTX", 1, 0, "htx_operating" },
  { "P3", "Quỹ tín dụng nhân dân (QTDND) hoạt động", "People's credit funds (QTDND) operating",
    "3", "QTDND", 1, 0, "qtdnd_operating" },
  { "P4", "Tổ hợp tác (THT) hoạt động", "Cooperative groups (THT) operating", "164", "THT", 1, 0, "tht_operating" },
  { "P5", "HTX ngừng hoạt động", "HTX stopped operating", "88", "HTX", 1, 0, "htx_stopped" },
  { "P6", "THT ngừng hoạt động", "THT stopped operating", "40", "THT", 1, 0, "tht_stopped" },
  { "P7", "QTDND thuộc diện kiểm soát đặc biệt của Ngân hàng Nhà nước",
    "QTDND under special control of the State Bank", "1", "QTDND", 1, 0, "qtdnd_special_control" },
  { "P8", "Thành viên các tổ chức KTTT", "Members of KTTT organisations", "12.46", "nghìn người", T, 2, "members" },
  { "P9", "Người lao động tham gia các tổ chức KTTT", "Workers in KTTT organisations",
    "29.4", "nghìn người", T, 1, "workers" },
  { "P10", "Lao động thường xuyên", "Regular workers", "12578", "người", 1, 0, "workers_regular" },
  { "P11", "Lao động thời vụ", "Seasonal workers", "16827", "người", 1, 0, "workers_seasonal" },
  { "P12", "Doanh thu bình quân 1 HTX, 6 tháng đầu năm 2023",
    "Average revenue per HTX, first half of 2023", "1.3", "tỷ đồng", B, 1, "htx_revenue_avg" },
  { "P13", "Doanh thu bình quân 1 THT, 6 tháng đầu năm 2023",
    "Average revenue per THT, first half of 2023", "106", "triệu đồng", M, 0, "tht_revenue_avg" },
  { "P14", "Lợi nhuận bình quân 1 HTX", "Average profit per HTX", "143", "triệu đồng", M, 0, "htx_profit_avg" },
  { "P15", "Lợi nhuận bình quân 1 THT", "Average profit per THT", "31.2", "triệu đồng", M, 1, "tht_profit_avg" },
  { "P16", "Chênh lệch thu nhập - chi phí bình quân 1 QTDND",
    "Average income minus expense per QTDND", "2923", "triệu đồng", M, 0, "qtdnd_surplus_avg" },
  { "P17", "Thu nhập bình quân người lao động trong HTX",
    "Average income of an HTX worker", "4.4", "triệu đồng/tháng", M, 1, "htx_worker_income_month" },
  { "P18", "HTX hoạt động trong lĩnh vực nông nghiệp", "HTX in agriculture", "305", "HTX", 1, 0, "htx_agriculture" },
  { "P19", "HTX hoạt động trong lĩnh vực phi nông nghiệp", "HTX outside agriculture",
    "129", "HTX", 1, 0, "htx_nonagriculture" },
  { "P20", "HTX công nghiệp - xây dựng", "HTX in industry and construction", "51", "HTX", 1, 0,
    "htx_industry_construction" },
  { "P21", "HTX thương mại - dịch vụ", "HTX in trade and services", "25", "HTX", 1, 0, "htx_trade_services" },
  { "P22", "HTX giao thông vận tải", "HTX in transport", "17", "HTX", 1, 0, "htx_transport" },
  { "P23", "HTX dịch vụ điện năng", "HTX in electricity services", "13", "HTX", 1, 0, "htx_electricity" },
  { "P24", "Tổng nguồn vốn của 3 QTDND", "Total capital of the 3 QTDND", "574", "tỷ đồng", B, 0,
    "qtdnd_capital" },
  { "P25", "Ngân sách tỉnh hỗ trợ thành lập mới, chuyển đổi HTX theo Luật HTX năm 2012 cho 63 HTX, giai đoạn 2018 - 2020",
    "Provincial budget to found or convert 63 HTX under the 2012 HTX law, 2018-2020",
    "570.18", "triệu đồng", M, 2, nil },
  { "P26", "Cán bộ quản lý trong các HTX nông nghiệp được bồi dưỡng",
    "HTX managers trained (agricultural HTX)", "184", "người", 1, 0, nil },
}
-- Every figure is as published in the report on the first half of 2023
-- (P25 and P26 are programme figures printed in it).
for _, p in ipairs(PUBLISHED) do table.insert(p, 2, "2023H1") end
write_csv("published_2023h1.csv", { "id", "period", "label_vi", "label_en", "value", "unit",
  "scale", "decimals", "indicator_id" }, PUBLISHED)

-- The units file, byte for byte, so that the data directory regenerates
-- without the shared path.
local copy = OUTDIR .. "/admin_units_2023.csv"
if UNITS ~= copy then
  local fh = assert(io.open(copy, "wb"))
  fh:write(units_bytes)
  fh:close()
end

-- Half-yearly history 2020H1-2023H1 (on the 2023 units, after the 2020
-- mergers): organisations operating, members, workers and reported
-- revenue by district and kind.  The 2023H1 rows are the aggregates of
-- the register and reports above; earlier half-years are drawn backwards
-- with a growth rate per district (members between 1% and 9% a year),
-- entries and exits of organisations, the harvest season (second halves
-- earn more) and the COVID-19 waves of 2020H1 and 2021H2.  Drawn after
-- everything else, so the other files do not depend on it.
local HIST = { "2020H1", "2020H2", "2021H1", "2021H2", "2022H1", "2022H2", "2023H1" }
local SHOCK = { ["2020H1"] = 0.88, ["2021H2"] = 0.84 } -- revenue, against trend
local base, dlist = {}, {}
for _, o in ipairs(ORGS) do
  if o.status == "active" then
    local d = o.commune.district
    if not base[d.code] then
      base[d.code] = { name = d.name, code = d.code }
      dlist[#dlist + 1] = base[d.code]
    end
    local b = base[d.code][o.kind] or { orgs = 0, members = 0, workers = 0, revenue = 0 }
    base[d.code][o.kind] = b
    b.orgs = b.orgs + 1
    b.members = b.members + o.members
    b.workers = b.workers + o.regular + o.seasonal
    if o.report and o.report.revenue then b.revenue = b.revenue + o.report.revenue end
  end
end
table.sort(dlist, function(a, b) return a.code < b.code end)
-- (1 + r)^(1/2) for a yearly rate r, by Newton's method on + - * / only.
local function sqrt1(x)
  local y = 1 + (x - 1) / 2
  for _ = 1, 6 do y = (y + x / y) / 2 end
  return y
end
local hrows = {}
local hist_rows = {}
for _, d in ipairs(dlist) do
  -- District rates per year: members, workers, organisations, revenue.
  local g_mem = 0.01 + 0.08 * uniform()
  local g_work = g_mem * (0.6 + 0.6 * uniform())
  local g_rev = 0.03 + 0.08 * uniform()
  for _, kind in ipairs({ "HTX", "QTDND", "THT" }) do
    local b = d[kind]
    if b then
      local cur = { orgs = b.orgs, members = b.members, workers = b.workers, revenue = b.revenue }
      local series = {}
      for h = #HIST, 1, -1 do
        local p = HIST[h]
        series[h] = { p, d.name, kind, cur.orgs, cur.members, cur.workers, cur.revenue }
        if h > 1 then
          local prev = {}
          if kind == "QTDND" then
            prev.orgs = cur.orgs -- credit funds neither open nor close here
          else
            -- Entries and exits over the half-year: net growth near the
            -- members' rate, with churn of a few percent.
            local n = cur.orgs
            local entries = math.floor(n * (0.02 + g_mem / 2) * (0.5 + uniform()) + 0.5)
            local exits = math.floor(n * 0.02 * (0.5 + uniform()) + 0.5)
            prev.orgs = math.max(1, n - entries + exits)
          end
          local step_m = sqrt1(1 + g_mem) * (1 + 0.025 * normal())
          prev.members = math.floor(cur.members / step_m + 0.5)
          prev.workers = math.floor(cur.workers / (sqrt1(1 + g_work) * (1 + 0.015 * normal())) + 0.5)
          -- Revenue: trend, season (H2 = 1.18 x H1), shocks.
          local season = p:sub(-1) == "1" and 1.18 or 1 / 1.18
          local shock = (SHOCK[HIST[h - 1]] or 1) / (SHOCK[p] or 1)
          local r = cur.revenue / sqrt1(1 + g_rev) * season * shock * (1 + 0.02 * normal())
          prev.revenue = math.floor(r / 1000000 + 0.5) * 1000000
          cur = prev
        end
      end
      for _, r in ipairs(series) do hist_rows[#hist_rows + 1] = r end
    end
  end
end
-- By period, then district (code order) and kind.
local pos = {}
for i, p in ipairs(HIST) do pos[p] = i end
local dpos = {}
for i, d in ipairs(dlist) do dpos[d.name] = i end
table.sort(hist_rows, function(a, b)
  if a[1] ~= b[1] then return pos[a[1]] < pos[b[1]] end
  if a[2] ~= b[2] then return dpos[a[2]] < dpos[b[2]] end
  return a[3] < b[3]
end)
for _, r in ipairs(hist_rows) do hrows[#hrows + 1] = r end
write_csv("history.csv", { "period", "district", "kind", "orgs", "members", "workers",
  "revenue_vnd" }, hrows)

-- Illustrative 2025 targets (the article publishes none): members of the
-- organisations operating and HTX operating, per 2023 district and for
-- the province (empty district), rounded to tens of members.  They are
-- set at 2023H1 x (1 + r)^2.5 with r drawn per district, 4% to 10% a year
-- for members, so that some districts are on track and some are not.
local trows, tot_m, tot_h = {}, 0, 0
local BASIS = "illustrative: not a published target (Resolution 06-NQ/TU sets none in the source)"
for _, d in ipairs(dlist) do
  local m, h = 0, 0
  for _, kind in ipairs({ "HTX", "QTDND", "THT" }) do
    if d[kind] then m = m + d[kind].members end
  end
  h = d.HTX and d.HTX.orgs or 0
  local r = 0.04 + 0.06 * uniform()
  local f = (1 + r) * (1 + r) * sqrt1(1 + r)
  local tm = math.floor(m * f / 10 + 0.5) * 10
  local th = math.floor(h * (1 + 0.02 + 0.04 * uniform()) * 1.0 + 0.5) + 2
  tot_m, tot_h = tot_m + tm, tot_h + th
  trows[#trows + 1] = { "members", d.name, "2025", tm, BASIS, "" }
  trows[#trows + 1] = { "htx_operating", d.name, "2025", th, BASIS, "" }
end
table.insert(trows, 1, { "members", "", "2025", tot_m, BASIS, "province: the sum of the districts" })
table.insert(trows, 2, { "htx_operating", "", "2025", tot_h, BASIS, "province: the sum of the districts" })
write_csv("targets_2025.csv", { "indicator_id", "district", "period", "target", "basis", "note" }, trows)

-- A summary on stderr (stdout stays quiet for make).
local function sum_active(fld)
  local s = 0
  for _, o in ipairs(ORGS) do if o.status == "active" then s = s + o[fld] end end
  return s
end
io.stderr:write(string.format(
  "gen_hoabinh: %d organisations, %d reports; members %d, regular %d, seasonal %d; " ..
  "profit shift HTX %.4f THT %.4f; units from %s\n",
  #ORGS, #rrows, sum_active("members"), sum_active("regular"), sum_active("seasonal"),
  htx_shift, tht_shift, UNITS))
