-- test_report.lua: the report (coopstat.report) on hand-made indicator
-- values: Vietnamese numbers, disclosure control, escaping, the HTML,
-- Markdown and XLSX outputs, the XLSX writer (cs._xlsx_write) and the
-- atomic write.  The command end to end, with the HTML rendered in a
-- browser, is tests/test_report.sh.
package.path = "tests/lua/?.lua;" .. package.path
local T = require("testlib")
local cs = require("coopstat")
local R = require("coopstat.report")
local eq, check, raises, section = T.eq, T.check, T.raises, T.section

-- The values indicators.latest, run_info and rules.validate would give.
local HIDDEN = {
  capital = 123456789012, -- qtdnd_capital in Đà Bắc, n = 2: primary
  capital2 = 98765432101, -- in Mai Châu, n = 4: secondary
  revenue = 987654321,    -- htx_revenue_avg in Đà Bắc, n = 2: primary
}
local function fixture()
  return {
    period = "2023H1", db = "fixture.db", generated_at = "2023-07-01 08:00:00 +0700",
    indicators = {
      { id = "htx_operating", unit = "organisations", measure = "stock", version = 1,
        def_hash = string.rep("ab", 32), run_id = 7, dims = { "district" },
        title_vi = "Hợp tác xã đang hoạt động", title_en = "HTX operating",
        total = { value = 18.0, n = 18 },
        cells = { { district = "Đà Bắc", dims = {}, value = 1.0, n = 1 },
                  { district = "Mai Châu", dims = {}, value = 2.0, n = 2 },
                  { district = "Lạc Sơn", dims = {}, value = 15.0, n = 15 } } },
      { id = "tht_operating", unit = "organisations", measure = "stock", version = 1,
        def_hash = string.rep("cd", 32), run_id = 7, dims = { "district" },
        title_vi = "Tổ hợp tác đang hoạt động", title_en = "THT operating",
        total = { value = 6, n = 6 },
        cells = { { district = "Đà Bắc", dims = {}, value = 2, n = 2 },
                  { district = "Mai Châu", dims = {}, value = 4, n = 4 } } },
      { id = "qtdnd_capital", unit = "VND", measure = "stock", version = 2,
        def_hash = string.rep("ef", 32), run_id = 8, dims = { "district" },
        title_vi = "Tổng nguồn vốn của các QTDND", title_en = "Capital of the QTDND",
        total = { value = 574e9, n = 12 },
        cells = { { district = "Đà Bắc", dims = {}, value = HIDDEN.capital, n = 2 },
                  { district = "Mai Châu", dims = {}, value = HIDDEN.capital2, n = 4 },
                  { district = "Lạc Sơn", dims = {}, value = 574e9 - HIDDEN.capital - HIDDEN.capital2, n = 6 } } },
      { id = "htx_revenue_avg", unit = "VND", measure = "ratio", version = 1,
        def_hash = string.rep("01", 32), run_id = 7, dims = { "district" },
        title_vi = "Doanh thu bình quân 1 HTX <b>", title_en = "Average revenue per HTX",
        total = { value = 1302150000.0, n = 17 },
        cells = { { district = "Đà Bắc", dims = {}, value = HIDDEN.revenue, n = 2 },
                  { district = "Mai Châu", dims = {}, value = 1.5e9, n = 5 },
                  { district = "Lạc Sơn", dims = {}, value = 1.1e9, n = 10 } } },
      { id = "members", unit = "people", measure = "stock", version = 1,
        def_hash = string.rep("23", 32), run_id = 7, dims = { "district", "kind" },
        title_vi = "Thành viên", title_en = "Members",
        total = { value = 12460, n = 20 },
        cells = {
          { district = "Đà Bắc", dims = {}, value = 100, n = 10 },
          { district = "Mai Châu", dims = {}, value = 12360, n = 10 },
          { kind = "HTX", dims = {}, value = 12000, n = 16 },
          { kind = "QTDND", dims = {}, value = 460, n = 4 },
          { district = "Đà Bắc", kind = "HTX", dims = {}, value = 70, n = 8 },
          { district = "Đà Bắc", kind = "QTDND", dims = {}, value = 30, n = 2 },
          { district = "Mai Châu", kind = "HTX", dims = {}, value = 11930, n = 8 },
          { district = "Mai Châu", kind = "QTDND", dims = {}, value = 430, n = 2 },
        } },
      { id = "htx_worker_income_month", unit = "VND/month", measure = "flow", version = 1,
        def_hash = string.rep("45", 32), run_id = 7, dims = { "district" },
        title_vi = "Thu nhập bình quân", title_en = "Average monthly income",
        total = { value = 4398050.7, n = 12 },
        cells = { { district = "Đà Bắc", dims = {}, value = 4.1e6, n = 1 },
                  { district = "Mai Châu", dims = {}, value = 4.5e6, n = 11 } } },
    },
    published = {
      { id = "P2", period = "2023H1", label_vi = "HTX hoạt động", label_en = "HTX operating",
        value = 433, unit = "HTX", scale = 1, decimals = 0, indicator_id = "htx_operating" },
      { id = "P12", period = "2023H1", label_vi = "Doanh thu", label_en = "Revenue", value = 1.3,
        unit = "tỷ đồng", scale = 1000000000, decimals = 1, indicator_id = "htx_revenue_avg" },
      { id = "P25", period = "2023H1", label_vi = "Ngân sách <tỉnh> & \"HTX\" 'mới' | 2018",
        label_en = "Budget", value = 570.18, unit = "triệu đồng", scale = 1000000, decimals = 2 },
      { id = "P26", period = "2023H1", label_vi = "Cán bộ được bồi dưỡng", label_en = "Trained",
        value = 184, unit = "người", scale = 1, decimals = 0, indicator_id = "" },
      { id = "P90", period = "2022H2", label_vi = "Kỳ khác", label_en = "Other period",
        value = 999, unit = "HTX", scale = 1, decimals = 0, indicator_id = "tht_operating" },
    },
    validation = {
      findings = {
        { rule_id = "kttt_parts_sum", title = "Tổ chức <KTTT> = HTX + THT", message = "597 ≠ 600 & so on",
          lhs = { label = "P1", value = 597 },
          rhs = { label = "P2 + P4", value = 600,
                  parts = { { label = "P2 | htx", value = 433 }, { label = "P4", value = 167 } } },
          imbalance = -3 },
        { rule_id = "published_htx_revenue_avg", title = "Doanh thu", message = "m",
          lhs = { label = "computed", value = 1302150000 },
          rhs = { label = "published P12", value = 1.3e9,
                  published = { printed = 1.3, decimals = 1, scale = 1e9, unit = "tỷ đồng" } },
          imbalance = 2150000 },
      },
      confirmed = { { rule_id = "workers_parts_sum", title = "Lao động", message = "29405 = 29405" } },
      errors = { { rule_id = "broken", title = "Hỏng", message = "no published figure" } },
    },
    runs = {
      [7] = { run_id = 7, period = "2023H1", started_at = "2023-07-01T01:00:00Z",
              finished_at = "2023-07-01T01:00:01Z", engine_version = "0.1.0",
              inputs = { { tbl = "organizations", fingerprint = string.rep("0123456789abcdef", 4), nrows = 729 },
                         { tbl = "reports", fingerprint = string.rep("a1b2c3d4e5f6a7b8", 4), nrows = 555 } } },
      [8] = { run_id = 8, period = "2023H1", started_at = "2023-07-02T01:00:00Z",
              finished_at = "2023-07-02T01:00:01Z", engine_version = "0.1.0",
              inputs = { { tbl = "organizations", fingerprint = string.rep("9", 64), nrows = 730 } } },
    },
  }
end

local function by_id(list, id)
  for _, e in ipairs(list) do if e.id == id then return e end end
end

-- The dir and base name of PATH.
local function split_path(path)
  return path:match("^(.*)/([^/]*)$")
end

-- The names in the directory of PATH that start with PATH's base name
-- followed by ".tmp-" (leftover temporary files).
local function leftovers(path)
  local dir, base = split_path(path)
  local found = {}
  for _, name in ipairs(assert(cs._listdir(dir))) do
    if name:sub(1, #base + 5) == base .. ".tmp-" then found[#found + 1] = name end
  end
  return found
end

section("Vietnamese numbers", function()
  eq(R.vn_number(12460), "12.460", "thousands")
  eq(R.vn_number(1302150000), "1.302.150.000", "billions")
  eq(R.vn_number(1.3, 1), "1,3", "decimal comma")
  eq(R.vn_number(-1234567.891, 2), "-1.234.567,89", "negative")
  eq(R.vn_number(999), "999", "three digits")
  eq(R.vn_number(0), "0", "zero")
  eq(R.vn_number(-0.04, 1), "0,0", "no negative zero")
  eq(R.vn_number(305.0), "305", "a float count")
  eq(R.vn_number(1234.5678, 2), "1.234,57", "rounded")
  eq(R.vn_auto(29405.0), "29.405", "auto: integral")
  eq(R.vn_auto(12.46), "12,46", "auto: two decimals")
  eq(R.vn_auto(2.5), "2,5", "auto: trailing zero dropped")
  eq(R.vn_auto(-3), "-3", "auto: negative")
end)

section("amounts as the article writes them", function()
  local function amount(v, unit)
    local text, alt = R.format_amount(v, unit)
    return text .. (alt and (" | " .. alt) or "")
  end
  eq(amount(1302150000, "VND"), "1.302 triệu đồng | 1,3 tỷ đồng", "P12: millions, and billions beside")
  eq(amount(2923056666.67, "VND"), "2.923 triệu đồng | 2,9 tỷ đồng", "P16")
  eq(amount(143041000, "VND"), "143 triệu đồng", "P14")
  eq(amount(105962000, "VND"), "106 triệu đồng", "P13")
  eq(amount(31203000, "VND"), "31,2 triệu đồng", "P15: one decimal below 100 million")
  eq(amount(4398050.7, "VND/month"), "4,4 triệu đồng/tháng", "P17")
  eq(amount(574e9, "VND"), "574 tỷ đồng", "P24: billions from 100 billion")
  eq(amount(45.3e9, "VND"), "45,3 tỷ đồng", "billions, one decimal, from 10 billion")
  eq(amount(850000, "VND"), "850.000 đồng", "below a million")
  eq(amount(12460, "people"), "12.460 người", "P8")
  eq(amount(600.0, "organisations"), "600 tổ chức", "P1")
  eq(amount(2.5, "people"), "2,5 người", "a count that is not whole")
  eq(R.format_amount(nil, "VND"), "–", "no value")
  eq(R.period_words("2023H1"), "6 tháng đầu năm 2023", "half")
  eq(select(2, R.period_words("2023H2")), "second half of 2023", "half, English")
  eq(R.period_words("2023Q3"), "quý III năm 2023", "quarter")
  eq(R.period_words("2023-07"), "tháng 7 năm 2023", "month")
end)

section("disclosure control: primary and secondary suppression", function()
  local f = fixture()
  local function statuses(id, min_cell)
    local st, n = R.suppress(by_id(f.indicators, id), min_cell or 3)
    local out = {}
    for i = 1, #by_id(f.indicators, id).cells do out[i] = st.cells[i] or "-" end
    return table.concat(out, ","), n, st.total
  end
  eq(statuses("htx_operating"), "-,-,-", "counts of organisations are never suppressed")
  local s, n = statuses("qtdnd_capital")
  eq(s, "primary,secondary,-", "a sum: the next smallest cell hidden too")
  eq(n, 2, "two suppressed")
  eq(statuses("htx_revenue_avg"), "primary,-,-", "an average: primary only")
  eq(statuses("htx_worker_income_month"), "primary,-", "VND/month is an average: primary only")
  -- Members by district and kind: the QTDND cells (n = 2) are primary;
  -- each district's line (HTX + QTDND = the district) would give its
  -- QTDND value back by subtraction, so its HTX cell goes too.
  s, n = statuses("members")
  eq(s, "-,-,-,-,secondary,primary,secondary,primary", "two dimensions")
  eq(n, 4, "members: four suppressed")
  eq(statuses("members", 1), "-,-,-,-,-,-,-,-", "min_cell 1: nothing")
  eq(statuses("qtdnd_capital", 13), "primary,primary,primary", "all cells small")
  local _, n13, total = statuses("qtdnd_capital", 13)
  eq(total, "primary", "a total from fewer organisations is suppressed too")
  eq(n13, 4, "and counted")
  -- n = 0 holds nobody's data; n unknown is not suppressed.
  local e = { unit = "people", measure = "stock", dims = { "district" }, total = { value = 5, n = 5 },
    cells = { { district = "A", dims = {}, value = 0, n = 0 }, { district = "B", dims = {}, value = 1 },
              { district = "C", dims = {}, value = 4, n = 5 } } }
  local st, cnt = R.suppress(e, 3)
  eq(cnt, 0, "n = 0 and n = nil: not suppressed")
  eq(st.cells[1], nil, "n = 0")
  -- A primary cell whose only partner is empty (n = 0) takes the next one.
  e.cells[2].n = 1
  st, cnt = R.suppress(e, 3)
  eq(st.cells[2], "primary", "n = 1")
  eq(st.cells[1], nil, "an empty cell protects nothing")
  eq(st.cells[3], "secondary", "the next smallest with data")
  eq(cnt, 2, "two")
end)

section("the model drops suppressed values", function()
  local m = R.model(fixture(), { min_cell = 3 })
  eq(#m.indicators, 6, "indicators")
  eq(m.suppressed, 2 + 1 + 4 + 1, "suppressed in all")
  local cap = by_id(m.indicators, "qtdnd_capital")
  eq(cap.cells[1].value, nil, "primary: no value")
  eq(cap.cells[1].n, nil, "primary: no n")
  eq(cap.cells[1].status, "primary", "primary: status")
  eq(cap.cells[2].value, nil, "secondary: no value")
  eq(cap.cells[3].value, 574e9 - HIDDEN.capital - HIDDEN.capital2, "other cells kept")
  eq(cap.total.value, 574e9, "the total kept")
  eq(by_id(m.indicators, "htx_operating").published.text, "433 HTX", "published beside")
  eq(by_id(m.indicators, "htx_revenue_avg").published.text, "1,3 tỷ đồng", "published as printed")
  eq(by_id(m.indicators, "htx_revenue_avg").published.base, 1.3e9, "published in base units")
  eq(by_id(m.indicators, "tht_operating").published, nil, "another period's figure is not used")
  eq(#m.programme, 2, "programme figures: empty or no indicator_id")
  eq(m.programme[1].text, "570,18 triệu đồng", "programme figure as printed")
  eq(#m.runs, 2, "two runs")
  eq(m.runs[1].run_id, 7, "runs in order")
  eq(#m.runs[1].indicators, 5, "indicators of run 7")
  eq(#m.findings, 2, "findings")
  eq(#m.errors, 1, "rules not checked")
end)

-- Whether TEXT shows a hidden value in full, or scaled (in millions or
-- billions) as a table cell, a chart label or a text.
local function shows_hidden(text)
  for _, v in pairs(HIDDEN) do
    for _, s in ipairs({ string.format("%d", v), string.format("%.1f", v), R.vn_number(v) }) do
      if text:find(s, 1, true) then return s end
    end
    local scaled = { R.vn_number(v / 1e6), R.vn_number(v / 1e6, 1) }
    if v >= 1e10 then
      scaled[#scaled + 1] = R.vn_number(v / 1e9)
      scaled[#scaled + 1] = R.vn_number(v / 1e9, 1)
    end
    for _, s in ipairs(scaled) do
      for _, ctx in ipairs({ ">" .. s .. "<", s .. " triệu", s .. " tỷ", ": " .. s, "| " .. s .. " |" }) do
        if text:find(ctx, 1, true) then return ctx end
      end
    end
  end
  return nil
end

section("HTML: self-contained, escaped, suppressed cells absent", function()
  local html = R.html(R.model(fixture(), { min_cell = 3 }))
  check(html:find('<html lang="vi">', 1, true), "lang=vi")
  check(html:find('<meta charset="utf-8">', 1, true), "UTF-8")
  check(not html:find("https?://"), "no URL at all")
  check(not html:find("<script", 1, true), "no script")
  check(not html:find("<link", 1, true), "no linked file")
  check(html:find("6 tháng đầu năm 2023", 1, true), "the period in words")
  check(html:find("Doanh thu bình quân 1 HTX &lt;b&gt;", 1, true), "a title escaped")
  check(not html:find("HTX <b>", 1, true), "no raw markup from data")
  check(html:find("Ngân sách &lt;tỉnh&gt; &amp; &quot;HTX&quot; &#39;mới&#39; | 2018", 1, true),
    "every special character escaped")
  check(html:find("Tổ chức &lt;KTTT&gt; = HTX + THT", 1, true), "finding title escaped")
  check(html:find("597 ≠ 600 &amp; so on", 1, true), "finding message escaped")
  eq(select(2, html:gsub('<li class="finding"', "")), 2, "two findings")
  check(html:find("1,3 tỷ đồng", 1, true), "a published side as printed")
  check(html:find("12.460 người", 1, true), "members")
  check(html:find("1.302 triệu đồng", 1, true), "revenue in millions")
  check(html:find("≈ 1,3 tỷ đồng", 1, true), "and in billions")
  check(html:find('<td class="num">574</td>', 1, true), "capital total in the breakdown, in tỷ")
  local hidden = shows_hidden(html)
  check(hidden == nil, "a hidden value shows: " .. tostring(hidden))
  check(html:find('<tr><td>Đà Bắc</td><td class="num sup" data-suppressed="primary"', 1, true),
    "a primary cell shows x")
  check(html:find('data-suppressed="secondary"', 1, true), "a secondary cell")
  check(html:find("ít hơn 3 tổ chức", 1, true), "the legend states min_cell")
  check(html:find("không bị ẩn vì là thông tin đăng ký công khai", 1, true),
    "the legend says why counts are shown")
  check(html:find('title="' .. string.rep("0123456789abcdef", 4) .. '">0123456789ab</code>', 1, true),
    "fingerprint: 12 digits shown, all in the title")
  check(html:find("Quy tắc không kiểm tra được", 1, true), "rules not checked")
  -- Charts: the district chart draws a bar per kind and district with a
  -- value; the revenue chart marks Đà Bắc instead of drawing it.
  eq(select(2, html:gsub('<rect class="bar" data%-series="[A-Z]+"', "")), 5 + 2,
    "bars: 3 HTX and 2 THT by district, 2 revenues")
  check(html:find('<svg class="chart" id="chart-orgs"', 1, true), "chart of organisations")
  check(html:find('<title id="chart-revenue-title">', 1, true), "each chart has a title")
  check(html:find('class="sup-mark"', 1, true), "a suppressed bar is marked")
  check(html:find('Không có dữ liệu', 1, true), "no sector chart without the sector indicators")
end)

section("Markdown", function()
  local md = R.markdown(R.model(fixture(), { min_cell = 3 }))
  check(md:find("|---|---|---:|---:|---:|---|", 1, true), "numbers right-aligned")
  check(md:find("Ngân sách &lt;tỉnh> &amp; \"HTX\" 'mới' \\| 2018", 1, true), "| escaped")
  check(md:find("| + P2 \\| htx | 433 |", 1, true), "a part with | escaped")
  check(md:find("| 1.302 triệu đồng (≈ 1,3 tỷ đồng) |", 1, true), "an amount")
  check(md:find("| qtdnd_capital | Đà Bắc |  | x | tỷ đồng | ẩn sơ cấp |", 1, true), "x in the breakdown")
  local hidden = shows_hidden(md)
  check(hidden == nil, "a hidden value shows: " .. tostring(hidden))
  check(md:find(string.rep("0123456789abcdef", 4), 1, true), "full fingerprint")
  eq(R.md_escape("a|b\nc"), "a\\|b c", "md_escape")
end)

section("XLSX sheets: numbers as numbers, suppressed as x", function()
  local sheets, rows = R.xlsx_sheets(R.model(fixture(), { min_cell = 3 }))
  eq(#sheets, 5, "sheets")
  eq(sheets[1].name, "Chỉ tiêu", "first sheet")
  eq(math.type(rows[1][1][4]), "float", "a value is a number")
  for i, sheet in ipairs(rows) do
    for r, row in ipairs(sheet) do
      for c, v in pairs(row) do
        for name, h in pairs(HIDDEN) do
          check(v ~= h, ("hidden %s in sheet %d row %d column %d"):format(name, i, r, c))
        end
      end
    end
  end
  local xs = 0
  for _, row in ipairs(rows[2]) do if row[5] == "x" then xs = xs + 1 end end
  eq(xs, 8, "x in the district sheet")
end)

section("cs._xlsx_write", function()
  local path = T.tmpname(".xlsx")
  cs._xlsx_write(path, {
    { name = "Chỉ tiêu", header = { "a", "b", "c" }, widths = { 10, 20 },
      rows = { { "Đà Bắc", 12460, 1.5 }, { nil, false, "x" }, {}, { [3] = 7 } } },
    { name = "Hai", rows = { { 1 } } },
  })
  local data = T.readfile(path)
  eq(data:sub(1, 4), "PK\3\4", "a zip file")
  raises({ path, "sheet name" }, cs._xlsx_write, path, { { name = "a/b" } })
  raises({ path, "sheet 'S', row 2", "a cell must be" }, cs._xlsx_write, path,
    { { name = "S", rows = { { 1 }, { {} } } } })
  raises({ path, "not a finite number" }, cs._xlsx_write, path, { { name = "S", rows = { { 0 / 0 } } } })
  raises({ path, "column numbers" }, cs._xlsx_write, path, { { name = "S", rows = { { x = 1 } } } })
  raises({ path, "needs a name" }, cs._xlsx_write, path, { {} })
  raises({ path, "already" }, cs._xlsx_write, path, { { name = "S" }, { name = "S" } })
  -- libxlsxwriter also prints an [ERROR] line of its own for this one.
  local missing = path .. ".none/x.xlsx"
  raises({ missing, "writing" }, cs._xlsx_write, missing, { { name = "S", rows = { { 1 } } } })
  raises("bad argument #2", cs._xlsx_write, path, "sheets")
  collectgarbage()
end)

section("atomic write: all or nothing", function()
  local out = T.tmpname(".html")
  T.writefile(out, "old")
  raises({ "cannot write " .. out, "boom" }, R.atomic_write, out, function(tmp)
    T.writefile(tmp, "half")
    error("boom", 0)
  end)
  eq(T.readfile(out), "old", "the old file is untouched")
  eq(#leftovers(out), 0, "no temporary file left")
  R.atomic_write(out, function(tmp) T.writefile(tmp, "new") end)
  eq(T.readfile(out), "new", "replaced")
  eq(#leftovers(out), 0, "no temporary file left after success")
  local dir = split_path(out)
  local nodir = dir .. "/no-such-dir-" .. tostring(os.time()) .. "/r.html"
  local msg = raises({ "cannot write " .. nodir }, R.write_model, R.model(fixture()), nodir, "html")
  check(not msg:find(".tmp-", 1, true), "the message names the file, not the temporary one")
  -- OUT is a directory: the rename fails, the temporary file goes.
  local asdir = T.tmpname(".d")
  os.remove(asdir)
  check(os.execute("mkdir '" .. asdir .. "'"), "mkdir")
  raises({ "cannot write " .. asdir }, R.write_model, R.model(fixture()), asdir, "md")
  eq(#leftovers(asdir), 0, "no temporary file beside a directory")
  os.execute("rmdir '" .. asdir .. "'")
  -- The XLSX writer failing (a bad cell) leaves nothing either.
  local x = T.tmpname(".xlsx")
  os.remove(x)
  raises({ "cannot write " .. x }, R.atomic_write, x, function(tmp)
    cs._xlsx_write(tmp, { { name = "S", rows = { { {} } } } })
  end)
  check(io.open(x, "rb") == nil, "no xlsx file")
  eq(#leftovers(x), 0, "no temporary xlsx")
end)

section("write: the formats, the summary and the errors", function()
  local f = fixture()
  local saved = { package.loaded["coopstat.indicators"], package.loaded["coopstat.rules"] }
  local latest = f.indicators
  package.loaded["coopstat.indicators"] = {
    latest = function(_, period) return period == "2023H1" and latest or {} end,
    run_info = function(_, id) return f.runs[id] end,
  }
  package.loaded["coopstat.rules"] = { validate = function() return f.validation end }
  local ok, err = pcall(function()
    local dbpath = T.tmpname(".db")
    local db = cs.open(dbpath)
    db:write("published", cs.dataset({
      id = { "P2", "P25" }, period = { "2023H1", "2023H1" }, label_vi = { "HTX", "Ngân sách" },
      label_en = { "HTX", "Budget" }, value = { 433.0, 570.18 }, unit = { "HTX", "triệu đồng" },
      scale = { 1, 1000000 }, decimals = { 0, 2 }, indicator_id = { "htx_operating", cs.null },
    }, { "id", "period", "label_vi", "label_en", "value", "unit", "scale", "decimals", "indicator_id" }))
    for _, fmt in ipairs({ "html", "md", "xlsx" }) do
      local out = T.tmpname("." .. fmt)
      local s = R.write(db, { period = "2023H1", out = out })
      eq(s.indicators, 6, fmt .. ": indicators")
      eq(s.suppressed, 8, fmt .. ": suppressed")
      eq(s.findings, 2, fmt .. ": findings")
      local data = T.readfile(out)
      if fmt == "xlsx" then eq(data:sub(1, 2), "PK", "xlsx by extension")
      elseif fmt == "md" then check(data:sub(1, 2) == "# ", "md by extension")
      else check(data:find("<!DOCTYPE html>", 1, true) == 1, "html") end
      eq(#leftovers(out), 0, fmt .. ": no temporary file")
    end
    local out = T.tmpname(".txt")
    R.write(db, { period = "2023H1", out = out, format = "md", min_cell = 1 })
    check(T.readfile(out):find("570,18 triệu đồng", 1, true), "format given; programme figure")
    R.write(db, { period = "2023H1", out = out })
    check(T.readfile(out):find("<!DOCTYPE html>", 1, true), "unknown extension: html")
    raises({ "no indicator values for period 2023H2 in", dbpath,
             "run 'coopstat indicators run --period 2023H2' first" },
      R.write, db, { period = "2023H2", out = out })
    raises("opts.out", R.write, db, { period = "2023H1" })
    raises("opts.period", R.write, db, { out = out })
    raises("format 'pdf'", R.write, db, { period = "2023H1", out = out, format = "pdf" })
    raises("min_cell", R.write, db, { period = "2023H1", out = out, min_cell = 0 })
    db:close()
    for _, suffix in ipairs({ "-wal", "-shm" }) do os.remove(dbpath .. suffix) end
  end)
  package.loaded["coopstat.indicators"], package.loaded["coopstat.rules"] = saved[1], saved[2]
  if not ok then error(err, 0) end
end)

T.finish("test_report")
