-- membership_2025.lua: will the 2025 membership targets be met, and at
-- what growth rate?  For the province and each district: the 2023H1
-- base, the 2025 target, the growth per year the target needs, the 2025
-- value projected under three scenarios (low 2%, base: the fitted trend,
-- high 8%), the gap, and whether the district is on track.
--
--   coopstat run scripts/scenarios/membership_2025.lua [OUT.html] [DATADIR]
--
-- Reads the tables `history` and `targets` from the store (cs.open():
-- --db, $COOPSTAT_DB or ./coopstat.db), importing them first from
-- DATADIR (default data/hoabinh) when the store lacks them.  Stores the
-- result as the table `scenario_membership_2025` and writes an HTML page
-- (default membership_2025.html) with a chart per district.
--
-- "On track" has a stated confidence: the trend's rate r is fitted on
-- the half-yearly history (log-linear least squares) with its standard
-- error se.  On track: r - 1.645 se >= the required rate (the target is
-- reached unless growth falls below what the history supports at 95%);
-- off track: r + 1.645 se < the required rate; at risk otherwise.
local cs = require("coopstat")

local OUT = arg and arg[1] or "membership_2025.html"
local DIR = arg and arg[2] or "data/hoabinh"
local BASE, TO = "2023H1", "2025"
local Z = 1.645

local db = cs.open()
local have = {}
for r in db:tables():rows() do have[r.name] = true end
db:transaction(function()
  if not have.history then
    db:write("history", cs.read_csv(DIR .. "/history.csv"))
    io.stderr:write("membership_2025: imported ", DIR, "/history.csv as table 'history'\n")
  end
  if not have.targets then
    db:write("targets", cs.read_csv(DIR .. "/targets_2025.csv", { schema = { period = "string" } }))
    io.stderr:write("membership_2025: imported ", DIR, "/targets_2025.csv as table 'targets'\n")
  end
end)

-- Members by district and half-year (all kinds), and for the province.
local hist = db:read("history")
local by_district = hist:group_by("district", "period"):agg("sum(members) as value")
local province = hist:group_by("period"):agg("sum(members) as value")
  :mutate("'Toàn tỉnh' as district"):select("district", "period", "value")
local series = province:concat(by_district)

-- Targets: an empty district is the province.
local targets = {}
for r in db:read("targets"):filter("indicator_id == 'members' and period == '" .. TO .. "'"):rows() do
  targets[r.district or "Toàn tỉnh"] = r
end

local proj, fits = cs.scenarios(series, { to = TO, by = "district",
  low = { rate = 0.02 }, base = { method = "trend" }, high = { rate = 0.08 } })

-- One row per area.
local rows = {}
local function value_at(ds, district, period, scenario)
  local f = ds:filter(("district == '%s' and period == '%s' and scenario == '%s'")
    :format(district:gsub("'", "\\'"), period, scenario))
  return f.value[1]
end
local areas = {}
for r in series:filter("period == '" .. BASE .. "'"):rows() do areas[#areas + 1] = r end
for _, a in ipairs(areas) do
  local d = a.district
  local t = targets[d]
  local trend = fits:filter(("district == '%s' and scenario == 'base'"):format(d:gsub("'", "\\'")))
  local r, se = trend.rate[1], trend.se_rate[1]
  local row = { district = d, base = a.value, target = t and t.target, rate_trend = r, se = se }
  local last = cs.period(TO .. "H2") -- the half-year that ends 2025
  row.low = value_at(proj, d, tostring(last), "low")
  row.mid = value_at(proj, d, tostring(last), "base")
  row.high = value_at(proj, d, tostring(last), "high")
  if t then
    row.required = cs.required_rate{ base = a.value, base_period = BASE, target = t.target, target_period = TO }
    row.gap = row.mid - t.target
    if r - Z * se >= row.required then row.status = "on track"
    elseif r + Z * se < row.required then row.status = "off track"
    else row.status = "at risk" end
  else
    row.status = "no target"
  end
  rows[#rows + 1] = row
end

-- Numbers as Vietnamese write them: 12.460 and 6,7%.
local function vn(x, dec)
  local s = ("%." .. (dec or 0) .. "f"):format(x)
  local sign, i, f = s:match("^([-+]?)(%d+)%.?(%d*)$")
  i = i:reverse():gsub("(%d%d%d)", "%1."):reverse():gsub("^%.", "")
  return sign .. i .. (f ~= "" and ("," .. f) or "")
end
local function pct(x) return x and (vn(100 * x, 1) .. "%") or "—" end
local function int(x) return x and vn(x) or "—" end
local VI = { ["on track"] = "đúng tiến độ", ["at risk"] = "có nguy cơ", ["off track"] = "chậm tiến độ",
  ["no target"] = "chưa có mục tiêu" }

-- Print.
local function cell(s, w, left)
  s = tostring(s)
  local n = utf8.len(s) or #s
  local pad = string.rep(" ", math.max(0, w - n))
  return left and s .. pad or pad .. s
end
print(("Thành viên các tổ chức KTTT: mục tiêu %s / members: %s targets (base %s)"):format(TO, TO, BASE))
print("Mục tiêu minh hoạ, không phải số công bố / illustrative targets, not published ones")
print()
local W = { -20, 7, 7, 9, 10, 7, 7, 7, 7, -10 }
local H = { "huyện / district", "2023H1", "target", "required", "trend±se", "low", "base", "high", "gap", "status" }
local function line(v)
  local out = {}
  for i, x in ipairs(v) do out[i] = cell(x, math.abs(W[i]), W[i] < 0) end
  print(table.concat(out, "  "))
end
line(H)
for _, r in ipairs(rows) do
  line({ r.district, int(r.base), int(r.target), pct(r.required),
    ("%s±%s"):format(pct(r.rate_trend), vn(100 * (r.se or 0), 1)), int(r.low), int(r.mid), int(r.high),
    r.gap and ((r.gap >= 0 and "+" or "-") .. vn(math.abs(r.gap))) or "—", r.status })
end
print()
print(("required: growth per year from %s to %s; trend: the fitted rate per year ± its standard error;"):format(BASE, TO))
print(("low/base/high: members at the end of %s at 2%%, the trend, 8%% a year; gap = base - target."):format(TO))

-- Store the result (replacing an earlier one).
local cols = { district = {}, base = {}, target = {}, required_rate = {}, trend_rate = {},
  trend_se = {}, low = {}, base_projection = {}, high = {}, gap = {}, status = {}, computed_at = {} }
local now = os.date("!%Y-%m-%dT%H:%M:%SZ")
for i, r in ipairs(rows) do
  local N = cs.null
  cols.district[i], cols.base[i], cols.target[i] = r.district, r.base, r.target or N
  cols.required_rate[i], cols.trend_rate[i], cols.trend_se[i] = r.required or N, r.rate_trend, r.se
  cols.low[i], cols.base_projection[i], cols.high[i] = r.low, r.mid, r.high
  cols.gap[i], cols.status[i], cols.computed_at[i] = r.gap or N, r.status, now
end
local result = cs.dataset(cols, { "district", "base", "target", "required_rate", "trend_rate", "trend_se",
  "low", "base_projection", "high", "gap", "status", "computed_at" },
  { target = "int64", required_rate = "float64", gap = "float64" })
db:write("scenario_membership_2025", result, { mode = "replace" })

-- The HTML page: one small chart per area (history, scenarios, target).
local function esc(s)
  return (tostring(s):gsub("[&<>\"']", { ["&"] = "&amp;", ["<"] = "&lt;", [">"] = "&gt;",
    ['"'] = "&quot;", ["'"] = "&#39;" }))
end
local COLORS = { low = "#d95f02", base = "#1b9e77", high = "#7570b3" }
local function chart(r)
  local pts = {}
  local hs = series:filter(("district == '%s'"):format(r.district:gsub("'", "\\'")))
  local ps = proj:filter(("district == '%s'"):format(r.district:gsub("'", "\\'")))
  local x0, x1 = cs.period("2020H1"), cs.period(TO .. "H2")
  local lo, hi = math.huge, -math.huge
  for v in ps:rows() do lo, hi = math.min(lo, v.value), math.max(hi, v.value) end
  if r.target then lo, hi = math.min(lo, r.target), math.max(hi, r.target) end
  lo = lo * 0.95
  hi = hi * 1.05
  local Wd, Ht, L, B = 320, 180, 46, 24
  local function X(p) return L + (Wd - L - 8) * ((cs.period(p) - x0) / (x1 - x0)) end
  local function Y(v) return Ht - B - (Ht - B - 8) * (v - lo) / (hi - lo) end
  local out = { ('<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" role="img">'):format(Wd, Ht),
    ("<title>%s</title>"):format(esc(r.district)) }
  out[#out + 1] = ('<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#999"/>'):format(L, Ht - B, Wd - 8, Ht - B)
  out[#out + 1] = ('<text x="%d" y="%d" font-size="10" text-anchor="end">%s</text>'):format(L - 4, Ht - B, int(lo))
  out[#out + 1] = ('<text x="%d" y="%d" font-size="10" text-anchor="end">%s</text>'):format(L - 4, 14, int(hi))
  out[#out + 1] = ('<text x="%d" y="%d" font-size="10">2020H1</text>'):format(L, Ht - 8)
  out[#out + 1] = ('<text x="%d" y="%d" font-size="10" text-anchor="end">%s</text>'):format(Wd - 8, Ht - 8, TO)
  for _, sc in ipairs({ "low", "base", "high" }) do
    local path = {}
    for v in ps:filter("scenario == '" .. sc .. "' and period >= '" .. BASE .. "'"):rows() do
      path[#path + 1] = ("%.1f,%.1f"):format(X(v.period), Y(v.value))
    end
    out[#out + 1] = ('<polyline class="proj-%s" fill="none" stroke="%s" stroke-dasharray="4 3" points="%s"/>')
      :format(sc, COLORS[sc], table.concat(path, " "))
  end
  for v in hs:rows() do pts[#pts + 1] = ("%.1f,%.1f"):format(X(v.period), Y(v.value)) end
  out[#out + 1] = ('<polyline class="history" fill="none" stroke="#333" stroke-width="2" points="%s"/>')
    :format(table.concat(pts, " "))
  if r.target then
    out[#out + 1] = ('<circle class="target" cx="%.1f" cy="%.1f" r="4" fill="#e7298a"><title>%s %s</title></circle>')
      :format(X(TO .. "H2"), Y(r.target), "mục tiêu / target", int(r.target))
  end
  out[#out + 1] = "</svg>"
  return table.concat(out)
end
local html = { [[<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8">
<title>Thành viên KTTT: mục tiêu 2025</title>
<style>body{font-family:sans-serif;margin:2em;color:#222}table{border-collapse:collapse}
td,th{padding:3px 8px;border-bottom:1px solid #ddd}td.n{text-align:right}
.grid{display:flex;flex-wrap:wrap;gap:12px}.card{border:1px solid #ddd;padding:6px}
.on{color:#1b7837}.risk{color:#b35806}.off{color:#b2182b}</style></head><body>
<h1>Thành viên các tổ chức KTTT: mục tiêu 2025 <small>/ members: the 2025 targets</small></h1>
<p><strong>Mục tiêu minh hoạ</strong>, không phải số công bố (illustrative targets, not published).</p>
<table><tr><th>Huyện</th><th>2023H1</th><th>Mục tiêu 2025</th><th>Tăng cần thiết/năm</th>
<th>Xu hướng/năm</th><th>Thấp</th><th>Cơ sở</th><th>Cao</th><th>Chênh lệch</th><th>Đánh giá</th></tr>]] }
local CLS = { ["on track"] = "on", ["at risk"] = "risk", ["off track"] = "off" }
for _, r in ipairs(rows) do
  html[#html + 1] = ('<tr><td>%s</td><td class="n">%s</td><td class="n">%s</td><td class="n">%s</td>'
    .. '<td class="n">%s ± %s</td><td class="n">%s</td><td class="n">%s</td><td class="n">%s</td>'
    .. '<td class="n">%s</td><td class="%s">%s <small>(%s)</small></td></tr>'):format(esc(r.district),
    int(r.base), int(r.target), pct(r.required), pct(r.rate_trend), vn(100 * (r.se or 0), 1), int(r.low),
    int(r.mid), int(r.high), r.gap and ((r.gap >= 0 and "+" or "−") .. vn(math.abs(r.gap))) or "—",
    CLS[r.status] or "", esc(VI[r.status] or r.status), esc(r.status))
end
html[#html + 1] = '</table><h2>Lịch sử, dự báo và mục tiêu / history, projections and target</h2>'
html[#html + 1] = '<p>Đen: số liệu 2020H1–2023H1; nét đứt: thấp (2%), cơ sở (xu hướng), cao (8%); chấm hồng: mục tiêu.</p><div class="grid">'
for _, r in ipairs(rows) do
  html[#html + 1] = ('<div class="card"><div>%s — %s</div>%s</div>'):format(esc(r.district),
    esc(VI[r.status] or r.status), chart(r))
end
html[#html + 1] = ("</div><p><small>coopstat %s, %s</small></p></body></html>\n"):format(cs.version, now)
local tmp = OUT .. ".tmp"
local f = assert(io.open(tmp, "wb"))
f:write(table.concat(html, "\n"))
assert(f:close())
assert(os.rename(tmp, OUT))
io.stderr:write(("membership_2025: stored table 'scenario_membership_2025' (%d rows), wrote %s\n"):format(#rows, OUT))
