-- overview.lua: the collective economy of a province at a glance, and a check
-- of every figure the source article published against the data.
--   coopstat run scripts/examples/overview.lua [DATADIR]   (default data/hoabinh)
local cs = require("coopstat")
local DIR = (arg and arg[1]) or "data/hoabinh"
local orgs = cs.read_csv(DIR .. "/organizations.csv")
local reps = cs.read_csv(DIR .. "/reports_2023h1.csv")
local pubs = cs.read_csv(DIR .. "/published_2023h1.csv")
local secs = cs.read_csv(DIR .. "/sectors.csv")

-- Formatting: thousands separators, and columns aligned by display width
-- (NFC Vietnamese letters are one cell each, so utf8.len is the width).
local function num(x, dec)
  local s = string.format("%." .. (dec or 0) .. "f", x)
  local sign, int, frac = s:match("^(-?)(%d+)(.*)$")
  int = int:reverse():gsub("(%d%d%d)", "%1,"):reverse():gsub("^,", "")
  return sign .. int .. frac
end
local function cell(s, w, left)
  s = tostring(s)
  local n = utf8.len(s) or #s
  if n > w then s, n = s:sub(1, utf8.offset(s, w) - 1) .. "…", w end
  local padding = string.rep(" ", w - n)
  return left and s .. padding or padding .. s
end
local function row(widths, values) -- a negative width aligns left
  local out = {}
  for i, v in ipairs(values) do out[i] = cell(v, math.abs(widths[i]), widths[i] < 0) end
  print((("  " .. table.concat(out, "  ")):gsub("%s+$", "")))
end
local function heading(s) print() print(s) print(string.rep("-", utf8.len(s))) end

-- One pass over the register.
local count, dist, dnames, dcodes, sector = {}, {}, {}, {}, {}
local org, active = {}, { members = 0, regular = 0, seasonal = 0, qcap = 0, n = 0 }
local function n(k) return count[k] or 0 end
for r in orgs:rows() do
  org[r.org_id] = r
  count[r.kind .. "/" .. r.status] = (count[r.kind .. "/" .. r.status] or 0) + 1
  local code = tostring(r.district_code)
  if not dist[code] then dist[code], dnames[code], dcodes[#dcodes + 1] = {}, r.district, code end
  local key = r.status == "active" and r.kind or "inactive"
  dist[code][key] = (dist[code][key] or 0) + 1
  if r.status == "active" then
    active.n = active.n + 1
    active.members = active.members + r.members
    active.regular = active.regular + r.regular_workers
    active.seasonal = active.seasonal + r.seasonal_workers
    if r.kind == "QTDND" then active.qcap = active.qcap + r.capital_vnd end
    if r.kind == "HTX" then sector[r.sector] = (sector[r.sector] or 0) + 1 end
  end
end
table.sort(dcodes)

print("KINH TẾ TẬP THỂ / COLLECTIVE ECONOMY — " .. DIR .. " (6 tháng đầu năm 2023 / 2023 H1)")
heading("Tổ chức KTTT theo loại và tình trạng / Organisations by kind and status")
local W = { -8, 10, 10, 16, 8 }
row(W, { "", "active", "stopped", "special_control", "total" })
for _, k in ipairs({ "HTX", "THT", "QTDND" }) do
  local a, s, c = n(k .. "/active"), n(k .. "/stopped"), n(k .. "/special_control")
  row(W, { k, num(a), num(s), num(c), num(a + s + c) })
end
row(W, { "Tổng", num(active.n), num(n("HTX/stopped") + n("THT/stopped")),
  num(n("QTDND/special_control")), num(#orgs) })

-- The published figures, by id.
local PUB = {}
for p in pubs:rows() do PUB[p.id] = p end
print(("  Đang hoạt động / active: %s HTX + %s QTDND + %s THT = %s"):format(num(n("HTX/active")),
  num(n("QTDND/active")), num(n("THT/active")), num(active.n)))
if PUB.P1.value ~= active.n then
  print(("  ! Bài báo công bố / the article says %s (P1), but its P2+P3+P4 = %s: contradiction"):format(
    num(PUB.P1.value), num(PUB.P2.value + PUB.P3.value + PUB.P4.value)))
end

heading("Thành viên và lao động / Members and workers (active organisations)")
local W2 = { -42, 8 }
row(W2, { "Thành viên / members", num(active.members) })
row(W2, { "Lao động thường xuyên / regular workers", num(active.regular) })
row(W2, { "Lao động thời vụ / seasonal workers", num(active.seasonal) })
row(W2, { "Tổng lao động / all workers", num(active.regular + active.seasonal) })

-- Averages over the active organisations that reported a value (nulls skipped).
local function of(kind) return reps:filter(function(r) return org[r.org_id].kind == kind end) end
local rh, rt, rq = of("HTX"), of("THT"), of("QTDND")
local sw, sx = 0, 0
for r in rh:rows() do
  local o = org[r.org_id]
  local w = r.avg_income_vnd_month and o.regular_workers + o.seasonal_workers or 0
  sw, sx = sw + w, sx + w * (r.avg_income_vnd_month or 0)
end
local avg = {
  P12 = rh:col("revenue_vnd"):mean(), P13 = rt:col("revenue_vnd"):mean(),
  P14 = rh:col("profit_vnd"):mean(), P15 = rt:col("profit_vnd"):mean(),
  P16 = rq:col("profit_vnd"):mean(), P17 = sx / sw,
}
heading("Bình quân 6 tháng / Half-year averages (reporting organisations)")
local W3 = { -42, 8, -17, 16 }
for _, a in ipairs({ { "P12", "Doanh thu / revenue per HTX", 1e9, 1, "tỷ đồng" },
  { "P13", "Doanh thu / revenue per THT", 1e6, 1, "triệu đồng" },
  { "P14", "Lợi nhuận / profit per HTX", 1e6, 1, "triệu đồng" },
  { "P15", "Lợi nhuận / profit per THT", 1e6, 1, "triệu đồng" },
  { "P16", "Chênh lệch thu - chi / surplus per QTDND", 1e6, 1, "triệu đồng" },
  { "P17", "Thu nhập lao động HTX / HTX worker income*", 1e6, 2, "triệu đồng/tháng" } }) do
  row(W3, { a[2], num(avg[a[1]] / a[3], a[4]), a[5], num(avg[a[1]]) .. " đ" })
end
print(("  * bình quân gia quyền theo số lao động / weighted by workers (%s in %d HTX)"):format(
  num(sw), rh:col("avg_income_vnd_month"):count()))

heading("HTX đang hoạt động theo lĩnh vực / Active HTX by sector")
local W4 = { -46, 6 }
for s in secs:rows() do
  if sector[s.sector] then row(W4, { s.label_vi .. " / " .. s.sector, num(sector[s.sector]) }) end
end
row(W4, { "Tổng / total", num(n("HTX/active")) })

heading("Tổ chức theo huyện / Organisations by district")
local W5 = { -24, 6, 6, 6, 10, 6 }
row(W5, { "huyện / district", "HTX", "THT", "QTDND", "inactive", "total" })
for _, c in ipairs(dcodes) do
  local d = dist[c]
  local h, t, q, i = d.HTX or 0, d.THT or 0, d.QTDND or 0, d.inactive or 0
  row(W5, { c .. " " .. dnames[c], num(h), num(t), num(q), num(i), num(h + t + q + i) })
end

-- Every published figure against the data, at the published precision.
local c = avg
c.P1, c.P2, c.P3, c.P4 = active.n, n("HTX/active"), n("QTDND/active"), n("THT/active")
c.P5, c.P6, c.P7 = n("HTX/stopped"), n("THT/stopped"), n("QTDND/special_control")
c.P8, c.P9 = active.members, active.regular + active.seasonal
c.P10, c.P11, c.P24 = active.regular, active.seasonal, active.qcap
c.P18, c.P19 = sector.agriculture or 0, n("HTX/active") - (sector.agriculture or 0)
c.P20, c.P21 = sector.industry_construction or 0, sector.trade_services or 0
c.P22, c.P23 = sector.transport or 0, sector.electricity or 0
heading("Đối chiếu số liệu công bố / Published figures vs data")
local W6 = { -4, -40, 9, 9, -17, -7 }
row(W6, { "id", "chỉ tiêu / figure", "công bố", "dữ liệu", "đơn vị / unit", "" })
local bad = 0
for i = 1, 24 do
  local p = PUB["P" .. i]
  local x, f = c[p.id], "%." .. p.decimals .. "f"
  local ok = f:format(p.value) == f:format(x / p.scale)
  bad = ok and bad or bad + 1
  row(W6, { p.id, p.label_vi, num(p.value, p.decimals), num(x / p.scale, p.decimals), p.unit,
    ok and "OK" or "DIFFERS" })
end
print(("  %d/24 OK, %d DIFFERS.  P1: P2+P3+P4 = %s ≠ %s;  P19: P2-P18 = %s ≠ %s")
  :format(24 - bad, bad, num(PUB.P2.value + PUB.P3.value + PUB.P4.value), num(PUB.P1.value),
    num(PUB.P2.value - PUB.P18.value), num(PUB.P19.value)))
