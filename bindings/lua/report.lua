-- report.lua: `coopstat report` and cs.report(db, opts) (coopstat.report):
-- the indicators of one period with their published figures, district
-- breakdowns, charts, the validation findings and the lineage of every
-- value, as one self-contained HTML page, an XLSX workbook or Markdown.
--
-- Values reach a report only through indicators.latest, indicators.run_info
-- and rules.validate.  Disclosure control runs once, when the model is
-- built (M.model): a suppressed cell's value is removed there, so that no
-- renderer can show it, in a table, a chart or an attribute.
local cs = require("coopstat")

local M = {}

M.MIN_CELL = 3

------------------------------------------------------------------------
-- Numbers in Vietnamese notation
------------------------------------------------------------------------

-- "1302150" -> "1.302.150": groups of three digits joined by ".".
local function group_digits(digits)
  local head = #digits % 3
  local parts = {}
  if head > 0 then parts[1] = digits:sub(1, head) end
  for i = head + 1, #digits, 3 do parts[#parts + 1] = digits:sub(i, i + 2) end
  return table.concat(parts, ".")
end

-- X rounded to DECIMALS (default 0) decimals, written the Vietnamese way:
-- "." between groups of thousands, "," before the decimals
-- (12460 -> "12.460", 1.3 -> "1,3", -1234.5 -> "-1.234,5").
function M.vn_number(x, decimals)
  decimals = decimals or 0
  if x ~= x then return "NaN" end
  if x == math.huge then return "∞" end
  if x == -math.huge then return "-∞" end
  local s = string.format("%." .. decimals .. "f", x)
  local sign, int, frac = s:match("^(%-?)(%d+)%.?(%d*)$")
  if not (int .. frac):find("[1-9]") then sign = "" end -- never "-0"
  local out = sign .. group_digits(int)
  if frac ~= "" then out = out .. "," .. frac end
  return out
end

-- X without a fixed precision: an integral value as an integer, others
-- to two decimals (one from 100 up), trailing zeros dropped.
function M.vn_auto(x)
  if x == nil then return "" end
  if x ~= x or x == math.floor(x) then return M.vn_number(x, 0) end
  local s = M.vn_number(x, math.abs(x) >= 100 and 1 or 2)
  return (s:gsub(",?0+$", ""))
end

-- The units of indicators.  Money carries the words of the scale it is
-- written in (triệu đồng, tỷ đồng).
local UNITS = {
  VND = { vi = "đồng", en = "VND", money = true, suffix = "" },
  ["VND/month"] = { vi = "đồng/tháng", en = "VND/month", money = true, suffix = "/tháng" },
  organisations = { vi = "tổ chức", en = "organisations" },
  people = { vi = "người", en = "people" },
}

function M.unit_vi(unit)
  local u = UNITS[unit]
  return u and u.vi or tostring(unit or "")
end

-- How values of UNIT up to ABSMAX in size are written, as the article
-- writes them: { div = divisor, decimals = n, word = unit words }.
-- Money: from 10 billion in tỷ (billions; whole from 100 billion: "574 tỷ
-- đồng"), from 1 million in triệu (millions; whole from 100 million:
-- "1.302 triệu", "143 triệu"; one decimal below: "31,2 triệu"), else in
-- đồng.  Counts are whole when INTEGRAL, else to one decimal.
function M.scale(unit, absmax, integral)
  local u = UNITS[unit]
  if u and u.money then
    local s
    if absmax >= 1e11 then s = { div = 1e9, decimals = 0, word = "tỷ đồng" }
    elseif absmax >= 1e10 then s = { div = 1e9, decimals = 1, word = "tỷ đồng" }
    elseif absmax >= 1e8 then s = { div = 1e6, decimals = 0, word = "triệu đồng" }
    elseif absmax >= 1e6 then s = { div = 1e6, decimals = 1, word = "triệu đồng" }
    else s = { div = 1, decimals = 0, word = "đồng" } end
    s.word = s.word .. u.suffix
    return s
  end
  return { div = 1, decimals = integral and 0 or 1, word = M.unit_vi(unit) }
end

local function integral(x) return x == math.floor(x) end

-- V of UNIT as text with its unit words ("1.302 triệu đồng", "12.460
-- người"), and for money from 1 to 10 billion the same in tỷ as a second
-- text ("1,3 tỷ đồng"), the way the article rounds it.  nil -> "–".
function M.format_amount(v, unit)
  if v == nil then return "–" end
  local s = M.scale(unit, math.abs(v), integral(v))
  local text = M.vn_number(v / s.div, s.decimals) .. " " .. s.word
  local u = UNITS[unit]
  local alt
  if u and u.money and math.abs(v) >= 1e9 and math.abs(v) < 1e10 then
    alt = M.vn_number(v / 1e9, 1) .. " tỷ đồng" .. u.suffix
  end
  return text, alt
end

-- The scale shared by VALUES (a list that may hold nils) of UNIT.
local function common_scale(unit, values)
  local absmax, int = 0, true
  for _, v in pairs(values) do
    if math.abs(v) > absmax then absmax = math.abs(v) end
    int = int and integral(v)
  end
  return M.scale(unit, absmax, int)
end

local function scaled(v, s)
  if v == nil then return "–" end
  return M.vn_number(v / s.div, s.decimals)
end

-- "2023H1" -> "6 tháng đầu năm 2023", "first half of 2023".
function M.period_words(p)
  local y, h = p:match("^(%d%d%d%d)H([12])$")
  if y then
    return (h == "1" and "6 tháng đầu năm " or "6 tháng cuối năm ") .. y,
      (h == "1" and "first half of " or "second half of ") .. y
  end
  local q
  y, q = p:match("^(%d%d%d%d)Q([1-4])$")
  if y then
    local roman = { "I", "II", "III", "IV" }
    return "quý " .. roman[tonumber(q)] .. " năm " .. y, "Q" .. q .. " " .. y
  end
  local m
  y, m = p:match("^(%d%d%d%d)%-(%d%d)$")
  if y then return "tháng " .. tonumber(m) .. " năm " .. y, y .. "-" .. m end
  if p:match("^%d%d%d%d$") then return "năm " .. p, "year " .. p end
  return p, p
end

------------------------------------------------------------------------
-- Disclosure control
------------------------------------------------------------------------

-- The dimensions of cell C as one table: district, kind and the others.
local function cell_keys(c)
  local k = {}
  for name, v in pairs(c.dims or {}) do k[name] = v end
  if c.district ~= nil then k.district = c.district end
  if c.kind ~= nil then k.kind = c.kind end
  return k
end

local function keys_text(k, names, except)
  local parts = {}
  for i, name in ipairs(names) do
    parts[i] = (name == except or k[name] == nil) and "\0" or k[name]
  end
  return table.concat(parts, "\1")
end

-- Whether the cells of IND add up to their margins, so that one hidden
-- cell could be got back by subtraction: counts and sums (stock, flow),
-- not averages or ratios (a monthly income is an average too).
function M.additive(ind)
  return (ind.measure == "stock" or ind.measure == "flow") and ind.unit ~= "VND/month"
end

-- Disclosure control of IND (an entry of indicators.latest) at MIN_CELL:
-- returns { total = status, cells = { [i] = status } } and the number of
-- values suppressed; a status is "primary", "secondary" or nil.
--   Primary: computed from 1 to MIN_CELL - 1 organisations (n = 0 holds
--   nobody's data; n unknown is not suppressed).  Counts of organisations
--   (unit "organisations") are public register data: never suppressed.
--   Secondary, for additive indicators: along each line of the table (the
--   cells that differ in one dimension only, with their margin), a line
--   with exactly one suppressed cell and a shown margin also loses its
--   cell of smallest n, so that the first cannot be got by subtraction;
--   repeated until no line changes.
function M.suppress(ind, min_cell)
  local cells = ind.cells or {}
  local status = {}
  local result = { cells = status }
  if ind.unit == "organisations" then return result, 0 end
  local function primary(x)
    return x.n ~= nil and x.n > 0 and x.n < min_cell
  end
  if primary(ind.total or {}) then result.total = "primary" end
  for i, c in ipairs(cells) do
    if primary(c) then status[i] = "primary" end
  end
  if M.additive(ind) then
    -- The dimension names, the cells' keys and where each key is.
    local names, seen, keys, at = {}, {}, {}, {}
    for _, d in ipairs(ind.dims or {}) do
      if not seen[d] then names[#names + 1], seen[d] = d, true end
    end
    for i, c in ipairs(cells) do
      keys[i] = cell_keys(c)
      for d in pairs(keys[i]) do
        if not seen[d] then names[#names + 1], seen[d] = d, true end
      end
    end
    for i = 1, #cells do at[keys_text(keys[i], names)] = i end
    at[keys_text({}, names)] = 0 -- the total
    -- The lines: cells set in dimension D, grouped by the others.
    local lines, byline = {}, {}
    for _, d in ipairs(names) do
      for i = 1, #cells do
        if keys[i][d] ~= nil then
          local lk = d .. "\2" .. keys_text(keys[i], names, d)
          local line = byline[lk]
          if line == nil then
            line = { margin = at[keys_text(keys[i], names, d)], cells = {} }
            byline[lk] = line
            lines[#lines + 1] = line
          end
          line.cells[#line.cells + 1] = i
        end
      end
    end
    local function hidden(i)
      if i == 0 then return result.total ~= nil end
      return status[i] ~= nil
    end
    local function size(i) return cells[i].n or math.huge end
    local changed = true
    while changed do
      changed = false
      for _, line in ipairs(lines) do
        if line.margin ~= nil and not hidden(line.margin) then
          local nhidden, best = 0, nil
          for _, i in ipairs(line.cells) do
            if status[i] then
              nhidden = nhidden + 1
            elseif cells[i].value ~= nil and (cells[i].n == nil or cells[i].n > 0)
                and (best == nil or size(i) < size(best)) then
              best = i
            end
          end
          if nhidden == 1 and best then
            status[best] = "secondary"
            changed = true
          end
        end
      end
    end
  end
  local count = result.total and 1 or 0
  for _ in pairs(status) do count = count + 1 end
  return result, count
end

------------------------------------------------------------------------
-- The model: what every format shows, suppressed values removed
------------------------------------------------------------------------

local KIND_ORDER = { HTX = 1, QTDND = 2, THT = 3 }

local function num(x)
  if type(x) == "number" then return x end
  return tonumber(x)
end

-- A date and time for the footer: $SOURCE_DATE_EPOCH (reproducible
-- builds) when set, else now in local time.
local function now_text()
  local epoch = tonumber(os.getenv("SOURCE_DATE_EPOCH") or "")
  if epoch then return os.date("!%Y-%m-%d %H:%M:%S UTC", math.floor(epoch)) end
  return os.date("%Y-%m-%d %H:%M:%S %z")
end

-- Builds the model of the report from RAW = { period, indicators (as
-- indicators.latest returns them), published (rows of the published
-- table), validation (as rules.validate returns it), runs ({[run_id] =
-- run_info}), db (the store's path), generated_at } and OPTS.min_cell.
function M.model(raw, opts)
  local min_cell = opts and opts.min_cell or M.MIN_CELL
  local m = {
    period = raw.period, min_cell = min_cell, db = raw.db,
    generated_at = raw.generated_at or now_text(), version = cs.version,
    indicators = {}, programme = {}, findings = {}, confirmed = {}, errors = {}, runs = {},
    suppressed = 0,
  }
  m.period_vi, m.period_en = M.period_words(raw.period)

  -- Published figures: those of an indicator beside it, the rest apart.
  local published = {}
  for _, r in ipairs(raw.published or {}) do
    if r.period == nil or r.period == "" or r.period == raw.period then
      local value, scale = num(r.value), num(r.scale) or 1
      local p = {
        id = r.id, label_vi = r.label_vi, label_en = r.label_en, unit = r.unit,
        value = value, decimals = math.tointeger(num(r.decimals)) or 0, scale = scale,
      }
      p.text = value and (M.vn_number(value, p.decimals) .. " " .. (r.unit or "")) or "–"
      -- In base units, at the printed precision (12.46 × 1000 is 12460).
      local f = 10 ^ p.decimals
      p.base = value and math.floor(value * f + 0.5) * scale / f
      if r.indicator_id == nil or r.indicator_id == "" then
        m.programme[#m.programme + 1] = p
      elseif published[r.indicator_id] == nil then
        published[r.indicator_id] = p
      end
    end
  end

  local runs_by_id = {}
  for _, ind in ipairs(raw.indicators or {}) do
    local st, nsup = M.suppress(ind, min_cell)
    local total = ind.total or {}
    local e = {
      id = ind.id, title_vi = ind.title_vi or ind.id, title_en = ind.title_en or "",
      unit = ind.unit, measure = ind.measure, version = ind.version,
      def_hash = ind.def_hash, run_id = ind.run_id, dims = ind.dims or {},
      published = published[ind.id], suppressed = nsup,
      total = { status = st.total, value = not st.total and total.value or nil,
                n = not st.total and total.n or nil },
      cells = {},
    }
    for i, c in ipairs(ind.cells or {}) do
      local s = st.cells[i]
      local other = {}
      for k, v in pairs(c.dims or {}) do other[k] = v end
      e.cells[i] = { district = c.district, kind = c.kind, dims = other, status = s,
                     value = not s and c.value or nil, n = not s and c.n or nil }
    end
    m.indicators[#m.indicators + 1] = e
    m.suppressed = m.suppressed + nsup
    if ind.run_id ~= nil then
      local run = runs_by_id[ind.run_id]
      if run == nil then
        local info = raw.runs and raw.runs[ind.run_id] or {}
        run = {
          run_id = ind.run_id, period = info.period, started_at = info.started_at,
          finished_at = info.finished_at, engine_version = info.engine_version,
          inputs = info.inputs or {}, indicators = {},
        }
        runs_by_id[ind.run_id] = run
        m.runs[#m.runs + 1] = run
      end
      run.indicators[#run.indicators + 1] = ind.id
    end
  end
  table.sort(m.runs, function(a, b)
    local x, y = num(a.run_id), num(b.run_id)
    if x and y then return x < y end
    return tostring(a.run_id) < tostring(b.run_id)
  end)

  local v = raw.validation or {}
  for _, f in ipairs(v.findings or {}) do m.findings[#m.findings + 1] = f end
  for _, c in ipairs(v.confirmed or {}) do m.confirmed[#m.confirmed + 1] = c end
  for _, c in ipairs(v.errors or {}) do m.errors[#m.errors + 1] = c end
  return m
end

-- The indicator of the model with id ID, or nil.
local function find(m, id)
  for _, e in ipairs(m.indicators) do
    if e.id == id then return e end
  end
  return nil
end

-- The label of a cell's dimensions other than the district ("HTX",
-- "sector: x"), or "" for none.
local function other_label(c)
  local parts = {}
  if c.kind ~= nil then parts[1] = c.kind end
  local names = {}
  for k in pairs(c.dims or {}) do
    if k ~= "district" and k ~= "kind" then names[#names + 1] = k end
  end
  table.sort(names)
  for _, k in ipairs(names) do parts[#parts + 1] = k .. ": " .. tostring(c.dims[k]) end
  return table.concat(parts, ", ")
end

-- The breakdown of E as a grid: rows (districts, then the province),
-- columns (the combinations of the other dimensions: "" first, the
-- district's or province's total) and grid[row][col] = cell.
local PROVINCE = "\0province"
local function grid(e)
  local rows, cols, seenr, seenc, g = {}, {}, {}, {}, {}
  local function put(row, col, cell)
    if not seenr[row] then seenr[row] = true rows[#rows + 1] = row end
    if not seenc[col] then seenc[col] = true cols[#cols + 1] = col end
    g[row] = g[row] or {}
    g[row][col] = cell
  end
  put(PROVINCE, "", e.total)
  for _, c in ipairs(e.cells) do put(c.district or PROVINCE, other_label(c), c) end
  -- The province last, the "" column first, kinds in their usual order.
  table.remove(rows, 1)
  rows[#rows + 1] = PROVINCE
  table.sort(cols, function(a, b)
    if a == "" or b == "" then return a == "" and b ~= "" end
    local ka, kb = KIND_ORDER[a] or 99, KIND_ORDER[b] or 99
    if ka ~= kb then return ka < kb end
    return a < b
  end)
  return rows, cols, g
end

-- The values shown in E (total and cells), for its common scale.
local function shown_values(e)
  local vals = {}
  if e.total.value ~= nil then vals[#vals + 1] = e.total.value end
  for _, c in ipairs(e.cells) do
    if c.value ~= nil then vals[#vals + 1] = c.value end
  end
  return vals
end

local function has_breakdown(e) return #e.cells > 0 end

local STATUS_VI = { primary = "ẩn sơ cấp", secondary = "ẩn thứ cấp" }
local STATUS_EN = { primary = "primary suppression", secondary = "secondary suppression" }

------------------------------------------------------------------------
-- HTML
------------------------------------------------------------------------

local ESC = { ["&"] = "&amp;", ["<"] = "&lt;", [">"] = "&gt;", ['"'] = "&quot;", ["'"] = "&#39;" }

-- S as HTML text or attribute value: & < > " ' escaped.
function M.esc(s)
  if s == nil then return "" end
  return (tostring(s):gsub("[&<>\"']", ESC))
end
local esc = M.esc

local CSS = [[
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { font-family: "Noto Sans", "DejaVu Sans", "Segoe UI", Arial, sans-serif;
  margin: 0 auto; max-width: 1160px; padding: 24px 28px 48px; color: #1b1b1b;
  line-height: 1.45; background: #fff; }
h1 { font-size: 1.6rem; margin: 0 0 4px; }
h2 { font-size: 1.25rem; margin: 36px 0 10px; border-bottom: 2px solid #0b5394;
  padding-bottom: 4px; }
h3 { font-size: 1.02rem; margin: 18px 0 6px; }
.en { color: #5f6368; font-size: .82em; font-weight: normal; }
p.en, div.en { margin-top: 0; }
.lead { margin: 0 0 18px; }
nav ol { columns: 2; margin: 8px 0 0; padding-left: 22px; }
nav a, a { color: #0b5394; }
table { border-collapse: collapse; margin: 8px 0 12px; font-size: .92rem; }
th, td { border: 1px solid #c9ced6; padding: 4px 8px; vertical-align: top; }
th { background: #eef2f7; text-align: left; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.id, code { font-family: "DejaVu Sans Mono", monospace; font-size: .85em; }
td.sup { color: #a61b1b; font-weight: bold; text-align: center; background: #fbecec; }
td.na { color: #8a8f98; }
tr.province td { font-weight: bold; background: #f6f8fb; }
table.data { width: 100%; }
.alt { display: block; color: #5f6368; font-size: .85em; }
.legend { background: #f6f8fb; border-left: 4px solid #0b5394; padding: 8px 12px;
  font-size: .9rem; }
.breakdowns { display: grid; grid-template-columns: repeat(auto-fill, minmax(340px, 1fr));
  gap: 6px 22px; align-items: start; }
.breakdowns table { width: 100%; font-size: .86rem; }
.breakdowns th, .breakdowns td { padding: 2px 6px; }
caption .en { display: block; }
caption { text-align: left; font-weight: bold; padding: 4px 0; }
figure { margin: 18px 0 26px; }
figcaption { font-weight: bold; margin-bottom: 6px; }
svg.chart { display: block; max-width: 100%; height: auto; font-size: 12px;
  font-family: inherit; }
svg .grid { stroke: #dde1e7; stroke-width: 1; }
svg .axis { stroke: #555; stroke-width: 1; }
svg text { fill: #222; }
svg .tick, svg .axis-label { fill: #444; }
svg .sup-mark { fill: #a61b1b; font-weight: bold; }
svg text.value, svg text.ref-label { paint-order: stroke; stroke: #fff; stroke-width: 3px;
  stroke-linejoin: round; }
svg .ref { stroke: #a61b1b; stroke-width: 1.5; stroke-dasharray: 5 4; }
ol.findings { padding-left: 22px; }
li.finding { margin-bottom: 18px; }
li.finding .imbalance { font-weight: bold; color: #a61b1b; }
tr.part td:first-child, tr.part td:nth-child(2) { padding-left: 24px; color: #333; }
ul.confirmed { font-size: .88rem; }
ul.confirmed li { margin-bottom: 3px; }
td.version { white-space: nowrap; }
footer { margin-top: 40px; border-top: 2px solid #0b5394; padding-top: 8px; font-size: .9rem; }
.muted { color: #5f6368; }
@media print { body { max-width: none; padding: 0; } h2 { break-after: avoid; }
  figure, table { break-inside: avoid; } }
]]

local COLORS = { HTX = "#0072B2", THT = "#E69F00", QTDND = "#009E73" }

-- A round step for about five ticks up to MAX.
local function nice_step(max)
  if max <= 0 then return 1 end
  local raw = max / 5
  local p = 10 ^ math.floor(math.log(raw, 10))
  for _, f in ipairs({ 1, 2, 2.5, 5, 10 }) do
    if raw <= f * p then return f * p end
  end
  return 10 * p
end

-- A horizontal bar chart as inline SVG.  SPEC: id, title, desc,
-- axis_label, y_label, series = { {key, label, color} }, rows = { {label,
-- segs = { {series = key, value, tip} }, mark = text for a value not shown,
-- mark_tip, end_label} }, ref = { value, label } (a dashed line), scale
-- (divisor and decimals of the tick labels).
local function bar_chart(spec)
  local W, ML, MR, RH, BH = 780, 200, 120, 26, 16
  local legend = #spec.series > 1
  local MT = legend and 40 or 16
  if spec.ref then MT = MT + 14 end
  local n = #spec.rows
  local PH = n * RH
  local H = MT + PH + 52
  local PW = W - ML - MR
  local max = 0
  for _, r in ipairs(spec.rows) do
    local s = 0
    for _, seg in ipairs(r.segs) do s = s + math.max(seg.value or 0, 0) end
    if s > max then max = s end
  end
  if spec.ref and spec.ref.value and spec.ref.value > max then max = spec.ref.value end
  local div = spec.scale and spec.scale.div or 1
  local step = nice_step(max / div) * div
  local top = math.max(step, math.ceil(max / step - 1e-9) * step)
  local function x(v) return ML + v / top * PW end
  local function f(v) return string.format("%.1f", v) end
  local out = {}
  local function add(...) for _, s in ipairs({ ... }) do out[#out + 1] = s end end
  add('<svg class="chart" id="', esc(spec.id), '" width="', W, '" height="', H,
    '" viewBox="0 0 ', W, ' ', H, '" role="img" aria-labelledby="', esc(spec.id),
    '-title ', esc(spec.id), '-desc">\n')
  add('<title id="', esc(spec.id), '-title">', esc(spec.title), '</title>\n')
  add('<desc id="', esc(spec.id), '-desc">', esc(spec.desc or ""), '</desc>\n')
  -- Legend.
  if legend then
    local lx = ML
    for _, s in ipairs(spec.series) do
      add('<rect class="swatch" x="', f(lx), '" y="10" width="12" height="12" fill="', s.color, '"/>')
      add('<text x="', f(lx + 17), '" y="20.5">', esc(s.label), '</text>\n')
      lx = lx + 30 + 7.5 * utf8.len(s.label)
    end
  end
  -- Grid and ticks.
  local tick_dec = (step / div) < 1 and 1 or 0
  local t = 0
  while t <= top + step / 2 do
    add('<line class="grid" x1="', f(x(t)), '" y1="', MT, '" x2="', f(x(t)), '" y2="', MT + PH, '"/>')
    add('<text class="tick" x="', f(x(t)), '" y="', MT + PH + 16, '" text-anchor="middle">',
      esc(M.vn_number(t / div, tick_dec)), '</text>\n')
    t = t + step
  end
  add('<line class="axis" x1="', ML, '" y1="', MT, '" x2="', ML, '" y2="', MT + PH, '"/>')
  add('<line class="axis" x1="', ML, '" y1="', MT + PH, '" x2="', W - MR, '" y2="', MT + PH, '"/>\n')
  add('<text class="axis-label" x="', f(ML + PW / 2), '" y="', H - 10,
    '" text-anchor="middle">', esc(spec.axis_label), '</text>\n')
  add('<text class="axis-label" transform="translate(14 ', f(MT + PH / 2),
    ') rotate(-90)" text-anchor="middle">', esc(spec.y_label), '</text>\n')
  local color = {}
  for _, s in ipairs(spec.series) do color[s.key] = s.color end
  for i, r in ipairs(spec.rows) do
    local y = MT + (i - 1) * RH
    add('<text x="', ML - 8, '" y="', f(y + RH / 2 + 4), '" text-anchor="end">', esc(r.label), '</text>\n')
    local cx = 0
    for _, seg in ipairs(r.segs) do
      if seg.value and seg.value > 0 then
        add('<rect class="bar" data-series="', esc(seg.series), '" x="', f(x(cx)), '" y="',
          f(y + (RH - BH) / 2), '" width="', f(x(cx + seg.value) - x(cx)), '" height="', BH,
          '" fill="', color[seg.series] or "#0072B2", '"><title>', esc(seg.tip), '</title></rect>\n')
        cx = cx + seg.value
      end
    end
    if r.mark then
      add('<text class="sup-mark" x="', ML + 6, '" y="', f(y + RH / 2 + 4), '">', esc(r.mark),
        '<title>', esc(r.mark_tip or ""), '</title></text>\n')
    elseif r.end_label then
      add('<text class="value" x="', f(x(cx) + 5), '" y="', f(y + RH / 2 + 4), '">',
        esc(r.end_label), '</text>\n')
    end
  end
  if spec.ref and spec.ref.value then
    local rx = x(spec.ref.value)
    add('<line class="ref" x1="', f(rx), '" y1="', MT - 6, '" x2="', f(rx), '" y2="', MT + PH, '"/>')
    add('<text class="ref-label" x="', f(rx), '" y="', MT - 10, '" text-anchor="middle">',
      esc(spec.ref.label), '</text>\n')
  end
  add('</svg>\n')
  return table.concat(out)
end

-- The district cells of E that have no other dimension, by district,
-- and the districts in order.
local function by_district(e)
  local map, order = {}, {}
  if e == nil then return map, order end
  for _, c in ipairs(e.cells) do
    if c.district ~= nil and other_label(c) == "" then
      if map[c.district] == nil then order[#order + 1] = c.district end
      map[c.district] = c
    end
  end
  return map, order
end

local function chart_kinds(m)
  local kinds = {
    { key = "HTX", id = "htx_operating", label = "HTX" },
    { key = "THT", id = "tht_operating", label = "THT" },
    { key = "QTDND", id = "qtdnd_operating", label = "QTDND" },
  }
  local maps, districts, seen, any = {}, {}, {}, false
  for _, k in ipairs(kinds) do
    local map, order = by_district(find(m, k.id))
    maps[k.key] = map
    for _, d in ipairs(order) do
      any = true
      if not seen[d] then seen[d] = true districts[#districts + 1] = d end
    end
  end
  if not any then return nil end
  local series, rows = {}, {}
  for _, k in ipairs(kinds) do
    series[#series + 1] = { key = k.key, label = k.label, color = COLORS[k.key] }
  end
  for _, d in ipairs(districts) do
    local r = { label = d, segs = {} }
    local sum, hidden = 0, false
    for _, k in ipairs(kinds) do
      local c = maps[k.key][d]
      if c and c.status then hidden = true end
      local v = c and c.value
      r.segs[#r.segs + 1] = { series = k.key, value = v,
        tip = d .. " – " .. k.label .. ": " .. (c and c.status and "x" or M.vn_number(v or 0)) }
      sum = sum + (v or 0)
    end
    r.end_label = M.vn_number(sum) .. (hidden and " (x)" or "")
    rows[#rows + 1] = r
  end
  return bar_chart({
    id = "chart-orgs", series = series, rows = rows,
    title = "Tổ chức kinh tế tập thể đang hoạt động theo huyện và loại hình, " .. m.period_vi,
    desc = "Số HTX, THT và QTDND đang hoạt động ở mỗi huyện, thành phố (cột chồng). "
      .. "Organisations operating by district and kind (stacked bars).",
    axis_label = "Số tổ chức (organisations)", y_label = "Huyện, thành phố",
  })
end

local function chart_revenue(m)
  local e = find(m, "htx_revenue_avg")
  local map, order = by_district(e)
  if #order == 0 then return nil end
  local s = common_scale(e.unit, shown_values(e))
  local rows = {}
  for _, d in ipairs(order) do
    local c = map[d]
    local r = { label = d, segs = {} }
    if c.status then
      r.mark = "x"
      r.mark_tip = "Ẩn: ít hơn " .. m.min_cell .. " HTX (suppressed)"
    else
      r.segs[1] = { series = "HTX", value = c.value,
        tip = d .. ": " .. (c.value and (scaled(c.value, s) .. " " .. s.word) or "–") }
      r.end_label = c.value and scaled(c.value, s) or "–"
    end
    rows[#rows + 1] = r
  end
  local ref
  if e.total.value ~= nil then
    ref = { value = e.total.value, label = "Toàn tỉnh: " .. scaled(e.total.value, s) }
  end
  return bar_chart({
    id = "chart-revenue", rows = rows, ref = ref, scale = s,
    series = { { key = "HTX", label = "HTX", color = COLORS.HTX } },
    title = "Doanh thu bình quân 1 HTX theo huyện, " .. m.period_vi .. " (" .. s.word .. ")",
    desc = "Doanh thu bình quân một hợp tác xã ở mỗi huyện; đường đứt nét: bình quân toàn tỉnh. "
      .. "Average revenue per HTX by district; dashed line: province average.",
    axis_label = "Doanh thu bình quân (" .. s.word .. ") · average revenue",
    y_label = "Huyện, thành phố",
  })
end

local SECTORS = {
  { id = "htx_agriculture", vi = "Nông nghiệp", en = "agriculture" },
  { id = "htx_industry_construction", vi = "Công nghiệp - xây dựng", en = "industry, construction" },
  { id = "htx_trade_services", vi = "Thương mại - dịch vụ", en = "trade, services" },
  { id = "htx_transport", vi = "Giao thông vận tải", en = "transport" },
  { id = "htx_electricity", vi = "Dịch vụ điện năng", en = "electricity" },
}

-- The HTX sector rows: { vi, en, value } for each sector with a value and
-- "Khác", the rest of htx_operating (nil when it cannot be computed).
local function sector_rows(m)
  local rows, sum, all = {}, 0, true
  for _, s in ipairs(SECTORS) do
    local e = find(m, s.id)
    local v = e and e.total.value
    if v ~= nil then
      rows[#rows + 1] = { vi = s.vi, en = s.en, value = v }
      sum = sum + v
    else
      all = false
    end
  end
  local op = find(m, "htx_operating")
  local total = op and op.total.value
  if total ~= nil and all then
    rows[#rows + 1] = { vi = "Khác", en = "other", value = total - sum }
  end
  return rows, total
end

local function chart_sectors(m)
  local srows, total = sector_rows(m)
  if #srows == 0 then return nil end
  local rows = {}
  for _, r in ipairs(srows) do
    local pct = (total and total > 0) and (" (" .. M.vn_number(100 * r.value / total, 1) .. "%)") or ""
    local row = { label = r.vi, segs = {} }
    if r.value < 0 then
      row.mark = "< 0"
      row.mark_tip = "Tổng các lĩnh vực vượt số HTX đang hoạt động"
    else
      row.segs[1] = { series = "HTX", value = r.value,
        tip = r.vi .. " (" .. r.en .. "): " .. M.vn_number(r.value) }
      row.end_label = M.vn_number(r.value) .. pct
    end
    rows[#rows + 1] = row
  end
  return bar_chart({
    id = "chart-sectors", rows = rows,
    series = { { key = "HTX", label = "HTX", color = COLORS.HTX } },
    title = "HTX đang hoạt động theo lĩnh vực, " .. m.period_vi,
    desc = "Số hợp tác xã theo lĩnh vực; Khác: phần còn lại của số HTX đang hoạt động. "
      .. "HTX by sector; other: the rest of the HTX operating.",
    axis_label = "Số HTX (cooperatives)", y_label = "Lĩnh vực",
  })
end

local function legend_html(m)
  return table.concat({
    '<div class="legend" id="legend">',
    '<p><b>x</b> – ô bị ẩn để bảo vệ thông tin của từng tổ chức (kiểm soát công bố): ',
    '<b>ẩn sơ cấp</b> khi giá trị được tính từ ít hơn ', m.min_cell, ' tổ chức; ',
    '<b>ẩn thứ cấp</b> khi cần ẩn thêm một ô để không thể suy ra ô đã ẩn bằng cách lấy tổng trừ đi các ô còn lại. ',
    'Số lượng tổ chức (đơn vị “tổ chức”) không bị ẩn vì là thông tin đăng ký công khai. ',
    'Dấu <b>–</b>: không có giá trị.</p>',
    '<p class="en">x – cell suppressed for disclosure control: primary when computed from fewer than ',
    m.min_cell, ' organisations; secondary when one more cell must be hidden so that a suppressed ',
    'cell cannot be derived by subtraction from the total. Counts of organisations are public register ',
    'data and are never suppressed. –: no value.</p></div>\n' })
end

local function td_value(cell, s, m)
  if cell == nil then return '<td class="num na">–</td>' end
  if cell.status then
    return '<td class="num sup" data-suppressed="' .. cell.status .. '" title="' ..
      esc(STATUS_VI[cell.status] .. ": ít hơn " .. m.min_cell .. " tổ chức hoặc để bảo vệ ô khác (" ..
        STATUS_EN[cell.status] .. ")") .. '">x</td>'
  end
  if cell.value == nil then return '<td class="num na">–</td>' end
  return '<td class="num">' .. esc(scaled(cell.value, s)) .. '</td>'
end

local function indicator_table_html(m, add)
  add('<table class="data" id="indicators">\n<thead><tr><th>Mã<br><span class="en">id</span></th>',
    '<th>Chỉ tiêu <span class="en">indicator</span></th>',
    '<th class="num">Giá trị tính toán<br><span class="en">computed</span></th>',
    '<th class="num">Số tổ chức<br><span class="en">n</span></th>',
    '<th class="num">Số đã công bố<br><span class="en">published</span></th>',
    '<th>Phiên bản<br><span class="en">definition</span></th></tr></thead>\n<tbody>\n')
  for _, e in ipairs(m.indicators) do
    add('<tr id="ind-', esc(e.id), '" data-id="', esc(e.id), '"><td class="id">', esc(e.id), '</td>')
    add('<td>', esc(e.title_vi), '<span class="alt en">', esc(e.title_en), '</span></td>')
    if e.total.status then
      add(td_value(e.total, nil, m))
    elseif e.total.value == nil then
      add('<td class="num na">–</td>')
    else
      local text, alt = M.format_amount(e.total.value, e.unit)
      add('<td class="num">', esc(text))
      if alt then add('<span class="alt">≈ ', esc(alt), '</span>') end
      add('</td>')
    end
    add('<td class="num">', e.total.n and esc(M.vn_number(e.total.n)) or "–", '</td>')
    if e.published then
      add('<td class="num">', esc(e.published.text), '<span class="alt">', esc(e.published.id), '</span></td>')
    else
      add('<td class="num na">–</td>')
    end
    add('<td class="version">', e.version and ("v" .. esc(e.version)) or "–")
    if e.def_hash then
      add(' <code title="', esc(e.def_hash), '">', esc(tostring(e.def_hash):sub(1, 8)), '</code>')
    end
    add('<span class="alt">lần chạy ', esc(e.run_id), '</span></td></tr>\n')
  end
  add('</tbody>\n</table>\n')
end

local function breakdown_html(m, add)
  add('<div class="breakdowns">\n')
  for _, e in ipairs(m.indicators) do
    if has_breakdown(e) then
      local s = common_scale(e.unit, shown_values(e))
      local rows, cols, g = grid(e)
      add('<table class="data breakdown" id="by-', esc(e.id), '" data-id="', esc(e.id), '">')
      add('<caption>', esc(e.title_vi), ' <span class="en">(', esc(s.word), ') ', esc(e.title_en),
        '</span></caption>\n<thead><tr><th>Huyện, thành phố</th>')
      for _, c in ipairs(cols) do
        local label = c == "" and (#cols > 1 and "Tổng" or "Giá trị") or c
        add('<th class="num">', esc(label), '</th>')
      end
      add('</tr></thead>\n<tbody>\n')
      for _, r in ipairs(rows) do
        local province = r == PROVINCE
        add(province and '<tr class="province">' or '<tr>',
          '<td>', province and "Toàn tỉnh" or esc(r), '</td>')
        for _, c in ipairs(cols) do add(td_value(g[r] and g[r][c], s, m)) end
        add('</tr>\n')
      end
      add('</tbody></table>\n')
    end
  end
  add('</div>\n')
end

-- The value of one side (or part) of a rule: a published figure as
-- printed ("1,3 tỷ đồng"), others in full.
local function side_value(side)
  local p = side.published
  if type(p) == "table" and type(p.printed) == "number" then
    local s = M.vn_number(p.printed, math.tointeger(p.decimals) or 0)
    if p.scale and p.scale ~= 1 and p.unit then s = s .. " " .. p.unit end
    return s
  end
  return side.value ~= nil and M.vn_auto(side.value) or "–"
end

local function side_rows_html(label_vi, side, add)
  side = side or {}
  add('<tr class="side"><td>', esc(label_vi), '</td><td>', esc(side.label), '</td><td class="num">',
    esc(side_value(side)), '</td></tr>\n')
  for _, p in ipairs(side.parts or {}) do
    add('<tr class="part"><td></td><td>+ ', esc(p.label), '</td><td class="num">',
      esc(side_value(p)), '</td></tr>\n')
  end
end

local function findings_html(m, add)
  if #m.findings == 0 then
    add('<p id="no-findings">Không có sai lệch nào. <span class="en">No findings.</span></p>\n')
  else
    add('<ol class="findings" id="findings-list">\n')
    for _, f in ipairs(m.findings) do
      add('<li class="finding" data-rule="', esc(f.rule_id), '"><h3><code>', esc(f.rule_id), '</code> ',
        esc(f.title), '</h3>\n')
      if f.message then add('<p>', esc(f.message), '</p>\n') end
      add('<table class="sides"><thead><tr><th>Vế <span class="en">side</span></th>',
        '<th>Nội dung <span class="en">figure</span></th><th class="num">Giá trị <span class="en">value</span></th>',
        '</tr></thead><tbody>\n')
      side_rows_html("Vế trái", f.lhs, add)
      side_rows_html("Vế phải", f.rhs, add)
      add('</tbody></table>\n<p class="imbalance">Chênh lệch <span class="en">imbalance</span>: ',
        f.imbalance ~= nil and esc(M.vn_auto(f.imbalance)) or "–", '</p></li>\n')
    end
    add('</ol>\n')
  end
  add('<h3>Quy tắc đạt <span class="en">rules confirmed</span> (', #m.confirmed, ')</h3>\n')
  if #m.confirmed == 0 then
    add('<p class="muted">Không có. <span class="en">None.</span></p>\n')
  else
    add('<ul class="confirmed">\n')
    for _, c in ipairs(m.confirmed) do
      add('<li data-rule="', esc(c.rule_id), '"><code>', esc(c.rule_id), '</code> ', esc(c.title))
      if c.message and c.message ~= "" then add(' <span class="muted">– ', esc(c.message), '</span>') end
      add('</li>\n')
    end
    add('</ul>\n')
  end
  if #m.errors > 0 then
    add('<h3>Quy tắc không kiểm tra được <span class="en">rules that could not be checked</span> (',
      #m.errors, ')</h3>\n<ul class="rule-errors">\n')
    for _, c in ipairs(m.errors) do
      add('<li data-rule="', esc(c.rule_id), '"><code>', esc(c.rule_id), '</code> ', esc(c.title),
        ' <span class="muted">– ', esc(c.message), '</span></li>\n')
    end
    add('</ul>\n')
  end
end

local function lineage_html(m, add)
  add('<table class="data" id="runs"><thead><tr><th>Lần chạy <span class="en">run</span></th>',
    '<th>Kỳ <span class="en">period</span></th><th>Bắt đầu <span class="en">started</span></th>',
    '<th>Kết thúc <span class="en">finished</span></th><th>Phiên bản coopstat <span class="en">engine</span></th>',
    '<th>Chỉ tiêu <span class="en">indicators</span></th></tr></thead><tbody>\n')
  for _, r in ipairs(m.runs) do
    add('<tr><td>', esc(r.run_id), '</td><td>', esc(r.period), '</td><td>', esc(r.started_at),
      '</td><td>', esc(r.finished_at), '</td><td>', esc(r.engine_version), '</td><td class="num">',
      #r.indicators, '</td></tr>\n')
  end
  add('</tbody></table>\n')
  add('<table class="data" id="inputs"><thead><tr><th>Lần chạy <span class="en">run</span></th>',
    '<th>Bảng đầu vào <span class="en">input table</span></th>',
    '<th>Dấu vân tay SHA-256 <span class="en">fingerprint</span></th>',
    '<th class="num">Số dòng <span class="en">rows</span></th></tr></thead><tbody>\n')
  for _, r in ipairs(m.runs) do
    for _, i in ipairs(r.inputs) do
      local fp = tostring(i.fingerprint or "")
      add('<tr><td>', esc(r.run_id), '</td><td>', esc(i.tbl), '</td><td><code class="fingerprint" title="',
        esc(fp), '">', esc(fp:sub(1, 12)), '</code></td><td class="num">',
        i.nrows and esc(M.vn_number(i.nrows)) or "–", '</td></tr>\n')
    end
  end
  add('</tbody></table>\n')
end

-- The report of model M as one HTML page.
function M.html(m)
  local out = {}
  local function add(...)
    for _, s in ipairs({ ... }) do out[#out + 1] = tostring(s) end
  end
  local title = "Báo cáo chỉ tiêu kinh tế tập thể, " .. m.period_vi .. " (" .. m.period .. ")"
  add('<!DOCTYPE html>\n<html lang="vi">\n<head>\n<meta charset="utf-8">\n',
    '<meta name="viewport" content="width=device-width, initial-scale=1">\n',
    '<meta name="generator" content="coopstat ', esc(m.version), '">\n',
    '<title>', esc(title), '</title>\n<style>\n', CSS, '</style>\n</head>\n<body>\n')
  add('<header>\n<h1>', esc(title), '</h1>\n<p class="en lead">Collective economy indicators, ',
    esc(m.period_en), ' (', esc(m.period), ')</p>\n<p class="lead">', #m.indicators,
    ' chỉ tiêu · ', m.suppressed, ' ô bị ẩn · ', #m.findings, ' sai lệch cần xem xét',
    ' <span class="en">', #m.indicators, ' indicators · ', m.suppressed, ' cells suppressed · ',
    #m.findings, ' findings</span></p>\n')
  add('<nav><ol><li><a href="#chi-tieu">Chỉ tiêu</a></li><li><a href="#bieu-do">Biểu đồ</a></li>',
    '<li><a href="#theo-huyen">Chia theo huyện</a></li><li><a href="#kiem-tra">Kết quả kiểm tra</a></li>',
    '<li><a href="#nguon-goc">Nguồn gốc số liệu</a></li></ol></nav>\n</header>\n<main>\n')

  add('<section id="chi-tieu">\n<h2>1. Chỉ tiêu <span class="en">Indicators</span></h2>\n')
  indicator_table_html(m, add)
  add(legend_html(m))
  if #m.programme > 0 then
    add('<h3>Số liệu chương trình <span class="en">programme figures</span></h3>\n',
      '<p class="muted">Lấy từ số liệu đã công bố, không tính từ dữ liệu vi mô. ',
      '<span class="en">Carried from the published figures, not computed.</span></p>\n',
      '<table class="data" id="programme"><thead><tr><th>Mã số</th><th>Nội dung <span class="en">figure</span></th>',
      '<th class="num">Số liệu <span class="en">value</span></th></tr></thead><tbody>\n')
    for _, p in ipairs(m.programme) do
      add('<tr><td class="id">', esc(p.id), '</td><td>', esc(p.label_vi), '<span class="alt en">',
        esc(p.label_en), '</span></td><td class="num">', esc(p.text), '</td></tr>\n')
    end
    add('</tbody></table>\n')
  end
  add('</section>\n')

  add('<section id="bieu-do">\n<h2>2. Biểu đồ <span class="en">Charts</span></h2>\n')
  local charts = {
    { chart_kinds(m), "Tổ chức KTTT đang hoạt động theo huyện và loại hình",
      "Organisations operating by district and kind" },
    { chart_revenue(m), "Doanh thu bình quân 1 HTX theo huyện", "Average revenue per HTX by district" },
    { chart_sectors(m), "HTX theo lĩnh vực", "HTX by sector" },
  }
  for _, c in ipairs(charts) do
    add('<figure><figcaption>', esc(c[2]), ' <span class="en">', esc(c[3]), '</span></figcaption>\n')
    add(c[1] or '<p class="muted">Không có dữ liệu. <span class="en">No data.</span></p>\n')
    add('</figure>\n')
  end
  add('</section>\n')

  add('<section id="theo-huyen">\n<h2>3. Chia theo huyện <span class="en">By district</span></h2>\n')
  breakdown_html(m, add)
  add(legend_html(m):gsub('id="legend"', 'id="legend-districts"'), '</section>\n')

  add('<section id="kiem-tra">\n<h2>4. Kết quả kiểm tra <span class="en">Validation</span></h2>\n',
    '<p>', #m.findings, ' sai lệch <span class="en">findings</span>, ', #m.confirmed,
    ' quy tắc đạt <span class="en">rules confirmed</span>.</p>\n')
  findings_html(m, add)
  add('</section>\n</main>\n')

  add('<footer id="nguon-goc">\n<h2>Nguồn gốc số liệu <span class="en">Lineage</span></h2>\n',
    '<p>Mỗi giá trị lấy từ lần chạy gần nhất thành công của chỉ tiêu cho kỳ ', esc(m.period),
    '. Dấu vân tay là mã SHA-256 của nội dung bảng đầu vào: cùng dấu vân tay là cùng dữ liệu. ',
    '<span class="en">Each value comes from the latest successful run of its indicator; a fingerprint ',
    'is the SHA-256 of an input table\'s content.</span></p>\n')
  lineage_html(m, add)
  add('<p class="muted">Tạo lúc <span class="en">generated</span> ', esc(m.generated_at),
    ' bởi coopstat ', esc(m.version))
  if m.db then add(' · cơ sở dữ liệu <span class="en">store</span> <code>', esc(m.db), '</code>') end
  add('</p>\n</footer>\n</body>\n</html>\n')
  return table.concat(out)
end

------------------------------------------------------------------------
-- Markdown
------------------------------------------------------------------------

-- S as the text of a pipe-table cell: "|" escaped, lines joined, "<"
-- and "&" written as entities so that no HTML passes through.
function M.md_escape(s)
  if s == nil then return "" end
  s = tostring(s):gsub("\\", "\\\\"):gsub("&", "&amp;"):gsub("<", "&lt;")
  s = s:gsub("|", "\\|"):gsub("\r?\n", " ")
  return s
end
local mde = M.md_escape

-- A pipe table: HEADER, ROWS (lists of text, escaped here) and RIGHT
-- (true at the columns aligned right).
local function md_table(out, header, rows, right)
  local h, rule = {}, {}
  for i, t in ipairs(header) do
    h[i] = mde(t)
    rule[i] = right[i] and "---:" or "---"
  end
  out[#out + 1] = "| " .. table.concat(h, " | ") .. " |"
  out[#out + 1] = "|" .. table.concat(rule, "|") .. "|"
  for _, r in ipairs(rows) do
    local cells = {}
    for i = 1, #header do cells[i] = mde(r[i] or "") end
    out[#out + 1] = "| " .. table.concat(cells, " | ") .. " |"
  end
  out[#out + 1] = ""
end

local function total_text(e)
  if e.total.status then return "x" end
  if e.total.value == nil then return "–" end
  local text, alt = M.format_amount(e.total.value, e.unit)
  return alt and (text .. " (≈ " .. alt .. ")") or text
end

local function cell_text(c, s)
  if c.status then return "x" end
  return scaled(c.value, s)
end

-- The rows of the district breakdowns: { id, title, district, other,
-- text, unit words, status, cell, scale }.
local function breakdown_rows(m)
  local out = {}
  for _, e in ipairs(m.indicators) do
    if has_breakdown(e) then
      local s = common_scale(e.unit, shown_values(e))
      for _, c in ipairs(e.cells) do
        out[#out + 1] = { e = e, cell = c, scale = s, district = c.district or "Toàn tỉnh",
                          other = other_label(c) }
      end
    end
  end
  return out
end

-- The report of model M as Markdown (GitHub pipe tables).
function M.markdown(m)
  local out = {}
  local function line(s) out[#out + 1] = s or "" end
  line("# Báo cáo chỉ tiêu kinh tế tập thể, " .. m.period_vi .. " (" .. m.period .. ")")
  line()
  line("_Collective economy indicators, " .. m.period_en .. "._ " .. #m.indicators .. " chỉ tiêu, "
    .. m.suppressed .. " ô bị ẩn (x), " .. #m.findings .. " sai lệch.")
  line()
  line("## 1. Chỉ tiêu (indicators)")
  line()
  local rows = {}
  for _, e in ipairs(m.indicators) do
    rows[#rows + 1] = { e.id, e.title_vi, total_text(e), e.total.n and M.vn_number(e.total.n) or "–",
      e.published and (e.published.text .. " (" .. e.published.id .. ")") or "–",
      (e.version and ("v" .. e.version) or "–") .. (e.run_id and (", lần chạy " .. e.run_id) or "") }
  end
  md_table(out, { "Mã", "Chỉ tiêu", "Giá trị tính toán", "Số tổ chức (n)", "Số đã công bố", "Phiên bản" },
    rows, { false, false, true, true, true, false })
  line("x: ô bị ẩn để bảo vệ thông tin của từng tổ chức: ẩn sơ cấp khi tính từ ít hơn " .. m.min_cell
    .. " tổ chức, ẩn thứ cấp để không suy ra được ô đã ẩn từ tổng. Số lượng tổ chức là thông tin "
    .. "đăng ký công khai, không bị ẩn. _x: suppressed (fewer than " .. m.min_cell
    .. " organisations, or to protect another cell); counts of organisations are never suppressed._")
  line()
  if #m.programme > 0 then
    line("### Số liệu chương trình (programme figures, carried from published, not computed)")
    line()
    local prow = {}
    for _, p in ipairs(m.programme) do prow[#prow + 1] = { p.id, p.label_vi, p.text } end
    md_table(out, { "Mã số", "Nội dung", "Số liệu" }, prow, { false, false, true })
  end
  line("## 2. Chia theo huyện (by district)")
  line()
  local brows = {}
  for _, r in ipairs(breakdown_rows(m)) do
    brows[#brows + 1] = { r.e.id, r.district, r.other, cell_text(r.cell, r.scale), r.scale.word,
      r.cell.status and STATUS_VI[r.cell.status] or "" }
  end
  md_table(out, { "Chỉ tiêu", "Huyện", "Phân tổ", "Giá trị", "Đơn vị", "Ghi chú" }, brows,
    { false, false, false, true, false, false })
  line("## 3. Kết quả kiểm tra (validation)")
  line()
  line(#m.findings .. " sai lệch, " .. #m.confirmed .. " quy tắc đạt.")
  line()
  for i, f in ipairs(m.findings) do
    line("### " .. i .. ". `" .. tostring(f.rule_id) .. "` " .. mde(f.title))
    line()
    if f.message then line(mde(f.message)) line() end
    local frows = {}
    for _, side in ipairs({ { "Vế trái", f.lhs }, { "Vế phải", f.rhs } }) do
      local sd = side[2] or {}
      frows[#frows + 1] = { side[1], sd.label, side_value(sd) }
      for _, p in ipairs(sd.parts or {}) do
        frows[#frows + 1] = { "", "+ " .. tostring(p.label), side_value(p) }
      end
    end
    md_table(out, { "Vế", "Nội dung", "Giá trị" }, frows, { false, false, true })
    line("**Chênh lệch (imbalance):** " .. (f.imbalance ~= nil and M.vn_auto(f.imbalance) or "–"))
    line()
  end
  line("### Quy tắc đạt (rules confirmed)")
  line()
  for _, c in ipairs(m.confirmed) do
    line("- `" .. tostring(c.rule_id) .. "` " .. mde(c.title)
      .. ((c.message and c.message ~= "") and (" – " .. mde(c.message)) or ""))
  end
  if #m.confirmed == 0 then line("Không có.") end
  line()
  if #m.errors > 0 then
    line("### Quy tắc không kiểm tra được (rules that could not be checked)")
    line()
    for _, c in ipairs(m.errors) do
      line("- `" .. tostring(c.rule_id) .. "` " .. mde(c.title) .. " – " .. mde(c.message))
    end
    line()
  end
  line("## Nguồn gốc số liệu (lineage)")
  line()
  local rrows, irows = {}, {}
  for _, r in ipairs(m.runs) do
    rrows[#rrows + 1] = { tostring(r.run_id), r.period, r.started_at, r.finished_at, r.engine_version,
      tostring(#r.indicators) }
    for _, i in ipairs(r.inputs) do
      irows[#irows + 1] = { tostring(r.run_id), i.tbl, i.fingerprint,
        i.nrows and M.vn_number(i.nrows) or "–" }
    end
  end
  md_table(out, { "Lần chạy", "Kỳ", "Bắt đầu", "Kết thúc", "Phiên bản coopstat", "Chỉ tiêu" }, rrows,
    { true, false, false, false, false, true })
  md_table(out, { "Lần chạy", "Bảng đầu vào", "Dấu vân tay SHA-256", "Số dòng" }, irows,
    { true, false, false, true })
  line("Tạo lúc " .. m.generated_at .. " bởi coopstat " .. m.version
    .. (m.db and (", cơ sở dữ liệu `" .. m.db .. "`") or "") .. ".")
  return table.concat(out, "\n") .. "\n"
end

------------------------------------------------------------------------
-- XLSX (through cs._xlsx_write, bindings/lxlsx.c)
------------------------------------------------------------------------

local BASE_UNIT = { VND = "đồng", ["VND/month"] = "đồng/tháng", organisations = "tổ chức",
                    people = "người" }

-- X, or the integer it differs from by rounding error only (a published
-- 1.3 × 10^9 computed in floating point), so that a whole number shows
-- as one in the workbook.
local function clean(x)
  if type(x) ~= "number" or x ~= x then return x end
  local r = math.floor(x + 0.5)
  if math.abs(x - r) <= 1e-9 * math.max(1, math.abs(x)) then return r + 0.0 end
  return x
end

-- The sheets of the workbook of model M: numbers stay numbers, in base
-- units (VND, people, organisations); a suppressed value is "x".
function M.xlsx_sheets(m)
  local ind_rows = {}
  for _, e in ipairs(m.indicators) do
    ind_rows[#ind_rows + 1] = {
      e.id, e.title_vi, e.title_en,
      e.total.status and "x" or e.total.value,
      BASE_UNIT[e.unit] or e.unit, e.total.n,
      e.published and e.published.base or false,
      e.published and e.published.text or false,
      e.published and e.published.id or false,
      e.version and ("v" .. e.version) or false, e.def_hash or false, e.run_id,
    }
  end
  local by_rows = {}
  for _, r in ipairs(breakdown_rows(m)) do
    local c = r.cell
    by_rows[#by_rows + 1] = { r.e.id, r.e.title_vi, r.district, r.other,
      c.status and "x" or c.value, BASE_UNIT[r.e.unit] or r.e.unit, c.n,
      c.status and STATUS_VI[c.status] or false }
  end
  local f_rows = {}
  for _, f in ipairs(m.findings) do
    for _, side in ipairs({ { "trái", f.lhs }, { "phải", f.rhs } }) do
      local sd = side[2] or {}
      f_rows[#f_rows + 1] = { f.rule_id, f.title, side[1], sd.label, clean(sd.value), clean(f.imbalance),
        f.message }
      for _, p in ipairs(sd.parts or {}) do
        f_rows[#f_rows + 1] = { f.rule_id, false, side[1], "+ " .. tostring(p.label), clean(p.value) }
      end
    end
  end
  for _, c in ipairs(m.confirmed) do
    f_rows[#f_rows + 1] = { c.rule_id, c.title, "đạt", false, false, false, c.message }
  end
  for _, c in ipairs(m.errors) do
    f_rows[#f_rows + 1] = { c.rule_id, c.title, "lỗi", false, false, false, c.message }
  end
  local l_rows = {}
  for _, r in ipairs(m.runs) do
    for _, i in ipairs(r.inputs) do
      l_rows[#l_rows + 1] = { r.run_id, r.period, r.started_at, r.finished_at, r.engine_version,
        i.tbl, i.fingerprint, i.nrows }
    end
    if #r.inputs == 0 then
      l_rows[#l_rows + 1] = { r.run_id, r.period, r.started_at, r.finished_at, r.engine_version }
    end
  end
  l_rows[#l_rows + 1] = {}
  l_rows[#l_rows + 1] = { "Tạo lúc", m.generated_at, "coopstat " .. m.version, false, false, false,
    m.db or false }
  local p_rows = {}
  for _, p in ipairs(m.programme) do
    p_rows[#p_rows + 1] = { p.id, p.label_vi, p.label_en, p.value, p.unit, p.base }
  end
  return {
    { name = "Chỉ tiêu", widths = { 26, 44, 40, 18, 12, 10, 18, 18, 10, 9, 16, 9 },
      header = { "Mã", "Chỉ tiêu", "Indicator", "Giá trị", "Đơn vị", "Số tổ chức (n)",
        "Số công bố (đơn vị gốc)", "Số công bố", "Mã số công bố", "Phiên bản", "Mã định nghĩa",
        "Lần chạy" } },
    { name = "Theo huyện", widths = { 26, 40, 20, 12, 18, 12, 10, 12 },
      header = { "Mã", "Chỉ tiêu", "Huyện", "Phân tổ", "Giá trị", "Đơn vị", "Số tổ chức (n)", "Ẩn" } },
    { name = "Kiểm tra", widths = { 26, 40, 8, 44, 14, 12, 60 },
      header = { "Quy tắc", "Tiêu đề", "Vế", "Nội dung", "Giá trị", "Chênh lệch", "Thông báo" } },
    { name = "Nguồn gốc", widths = { 10, 10, 22, 22, 12, 16, 66, 10 },
      header = { "Lần chạy", "Kỳ", "Bắt đầu", "Kết thúc", "Phiên bản", "Bảng", "Dấu vân tay SHA-256",
        "Số dòng" } },
    { name = "Chương trình", widths = { 8, 70, 60, 12, 14, 18 },
      header = { "Mã số", "Nội dung", "Figure", "Số liệu", "Đơn vị", "Đơn vị gốc" } },
  }, { ind_rows, by_rows, f_rows, l_rows, p_rows }
end

local function xlsx_sheets(m)
  local sheets, rows = M.xlsx_sheets(m)
  for i, s in ipairs(sheets) do s.rows = rows[i] end
  return sheets
end

------------------------------------------------------------------------
-- Writing
------------------------------------------------------------------------

local FORMATS = { html = true, xlsx = true, md = true }
local EXTENSIONS = { html = "html", htm = "html", xlsx = "xlsx", md = "md", markdown = "md" }

-- The format of OUT from its extension, else "html".
function M.format_of(out)
  local ext = tostring(out):match("%.([%w]+)$")
  return ext and EXTENSIONS[ext:lower()] or "html"
end

-- MSG without a leading "PATH: " (io and the xlsx writer name the
-- temporary file; the error names OUT instead).
local function strip_path(msg, path)
  msg = tostring(msg)
  if msg:sub(1, #path + 2) == path .. ": " then return msg:sub(#path + 3) end
  return msg
end

-- Writes OUT whole or not at all: WRITER(tmp) writes the temporary file
-- OUT .. ".tmp-XXXX" (created empty first, in OUT's directory), which
-- then replaces OUT.  On any error the temporary file is removed and the
-- error names OUT.
function M.atomic_write(out, writer)
  local tmp, f, err
  for _ = 1, 50 do
    tmp = string.format("%s.tmp-%04x", out, math.random(0, 0xffff))
    local probe = io.open(tmp, "rb")
    if probe then
      probe:close()
    else
      f, err = io.open(tmp, "wb")
      break
    end
  end
  if not f then
    error(("cannot write %s: %s"):format(out, strip_path(err or "no free temporary name", tmp)), 0)
  end
  f:close()
  local ok, msg = pcall(function()
    writer(tmp)
    local renamed, rerr = os.rename(tmp, out)
    if not renamed then error(rerr, 0) end
  end)
  if not ok then
    os.remove(tmp)
    error(("cannot write %s: %s"):format(out, strip_path(msg, tmp)), 0)
  end
end

local function write_text(path, text)
  local f, err = io.open(path, "wb")
  if not f then error(err, 0) end
  local ok, werr = f:write(text)
  if not ok then
    f:close()
    error(werr, 0)
  end
  local closed, cerr = f:close()
  if not closed then error(cerr, 0) end
end

-- Writes model M to OUT in FORMAT ("html", "xlsx" or "md").
function M.write_model(m, out, format)
  if format == "xlsx" then
    local sheets = xlsx_sheets(m)
    M.atomic_write(out, function(tmp) cs._xlsx_write(tmp, sheets) end)
  else
    local text = format == "md" and M.markdown(m) or M.html(m)
    M.atomic_write(out, function(tmp) write_text(tmp, text) end)
  end
end

-- The path of store DB's main file, or nil.
local function db_path(db)
  local ok, q = pcall(db.query, db, "select file from pragma_database_list where name = 'main'")
  if ok and #q > 0 then return q:col("file")[1] end
  return nil
end

-- Gathers what the report of PERIOD shows from store DB.
function M.collect(db, period)
  local ind = require("coopstat.indicators")
  -- The catalogue gives the indicators their order.
  if ind.list and ind.load_default and #ind.list() == 0 then pcall(ind.load_default) end
  local raw = { period = period, db = db_path(db) }
  raw.indicators = ind.latest(db, period)
  if #raw.indicators == 0 then
    error(("no indicator values for period %s in %s: run 'coopstat indicators run --period %s' first")
      :format(period, raw.db or "the store", period), 0)
  end
  raw.runs = {}
  for _, e in ipairs(raw.indicators) do
    if e.run_id ~= nil and raw.runs[e.run_id] == nil then
      raw.runs[e.run_id] = ind.run_info(db, e.run_id) or {}
    end
  end
  -- Validation first: it imports the published figures when the store
  -- lacks them.
  raw.validation = require("coopstat.rules").validate(db, period)
  raw.published = {}
  local have = false
  for r in db:tables():rows() do
    if r.name == "published" then have = true end
  end
  if have then
    for r in db:read("published"):rows() do
      -- Only this period's figures (a table without periods: all).
      if r.period == nil or r.period == period then raw.published[#raw.published + 1] = r end
    end
  end
  return raw
end

-- Checks OPTS of M.write; returns the format and min_cell.
local function check_opts(opts)
  if type(opts) ~= "table" then error("report: options must be a table", 3) end
  if type(opts.period) ~= "string" or opts.period == "" then
    error("report: opts.period is required (e.g. \"2023H1\")", 3)
  end
  if type(opts.out) ~= "string" or opts.out == "" then
    error("report: opts.out (the file to write) is required", 3)
  end
  local format = opts.format or M.format_of(opts.out)
  if not FORMATS[format] then
    error(("report: format '%s' is not html, xlsx or md"):format(tostring(format)), 3)
  end
  local min_cell = opts.min_cell or M.MIN_CELL
  if math.type(min_cell) ~= "integer" or min_cell < 1 then
    error(("report: min_cell must be an integer >= 1, not %s"):format(tostring(min_cell)), 3)
  end
  return format, min_cell
end

-- Writes the report of opts.period from store DB to opts.out (see the
-- file's head); returns { indicators = n, suppressed = n, findings = n }.
function M.write(db, opts)
  local format, min_cell = check_opts(opts)
  local m = M.model(M.collect(db, opts.period), { min_cell = min_cell })
  M.write_model(m, opts.out, format)
  return { indicators = #m.indicators, suppressed = m.suppressed, findings = #m.findings }
end

------------------------------------------------------------------------
-- The command line: coopstat report
------------------------------------------------------------------------

M.cli = {}
M.cli.usage = [[
usage: coopstat report --period P --out FILE [--format html|xlsx|md] [--min-cell N]
  (--db PATH: the store; default $COOPSTAT_DB, else ./coopstat.db)

Writes the report of period P (2023, 2023H1, 2023Q3 or 2023-07) from the
latest indicator values in the store (run 'coopstat indicators run
--period P' first): the indicators with the published figures beside
them, the breakdowns by district, charts, the validation findings and the
lineage (runs, input fingerprints, engine version, time).

  --period P     the period (required)
  --out FILE     the file to write (required); it is written whole or
                 not at all (a temporary file FILE.tmp-XXXX is renamed)
  --format F     html (one self-contained page), xlsx (a workbook) or md
                 (Markdown); default: from FILE's extension, else html
  --min-cell N   disclosure control: a value computed from fewer than N
                 organisations is shown as "x" (default 3); counts of
                 organisations are never suppressed

Findings do not make the report fail: the exit status is 0 when the
file was written.
]]

function M.cli.run(args)
  local cli = require("coopstat.cli")
  local o, pos = cli.parse(args, { ["--period"] = "value", ["--out"] = "value",
    ["--format"] = "value", ["--min-cell"] = "value" })
  if #pos > 0 then cli.usage_error("unexpected argument '%s'", pos[1]) end
  if not o.period then cli.usage_error("missing --period (e.g. --period 2023H1)") end
  local ind = require("coopstat.indicators")
  if ind.period_type and not ind.period_type(o.period) then
    cli.usage_error("--period '%s' is not a period (2023, 2023H1, 2023Q3 or 2023-07)", o.period)
  end
  if not o.out or o.out == "" then cli.usage_error("missing --out FILE (e.g. --out report.html)") end
  if o.format and not FORMATS[o.format] then
    cli.usage_error("--format '%s' is not html, xlsx or md", o.format)
  end
  local min_cell = M.MIN_CELL
  if o.min_cell then
    min_cell = o.min_cell:match("^%d+$") and math.tointeger(tonumber(o.min_cell))
    if not min_cell or min_cell < 1 then
      cli.usage_error("--min-cell '%s' is not an integer >= 1", o.min_cell)
    end
  end
  local db = cs.open()
  local s = M.write(db, { period = o.period, out = o.out, format = o.format, min_cell = min_cell })
  db:close()
  io.stdout:write(("wrote %s: %d indicators, %d cells suppressed, %d findings\n")
    :format(o.out, s.indicators, s.suppressed, s.findings))
  return 0
end

return M
